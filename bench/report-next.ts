import type { BenchResults, Measurement, ScenarioResult } from './report';
import { byPeer, fmt, pairedRatio, roundRatios } from './report';
import { S8_PADDED } from './scenarios-next';

const NEXT = ['S8', 'S8-mem', 'S9', 'S10', 'S11', 'S12', 'S13', 'S14', 'HTTP'];

/** What a run measured beyond its headline figure. */
function detail(s: ScenarioResult, m: Measurement): string {
  const parts: string[] = [];
  if (m.lost !== undefined) parts.push(`lost ${m.lost}, duplicated ${m.duplicated ?? 0}, redelivered ${m.redelivered ?? 0}`);
  const st = m.storm;
  if (st !== undefined) {
    if (st.liveMs !== undefined) parts.push(`live ${st.liveMs.toFixed(0)} ms, recovered ${st.recovered}/${st.subscribers} (missing ${st.missing}, duplicated ${st.duplicated})`);
    parts.push(`${st.acceptedPerSec.toFixed(0)} connections accepted/s`);
    // Where the target sits against the floor: a bare ws server only accepting the same connections.
    const floor = byPeer(s, 'floor (accept)')?.storm?.acceptedPerSec;
    if (m.label === 'stompbox' && st.liveMs !== undefined && floor !== undefined && floor > 0) {
      const acceptMs = (st.subscribers / floor) * 1000;
      parts.push(`the bare floor takes ${acceptMs.toFixed(0)} ms (${(acceptMs / st.liveMs).toFixed(2)} × this live time) only to accept as many connections`);
    }
    // The least this machine allows: the socket floor's own recovery against its own live time.
    const socket = byPeer(s, 'floor (socket)')?.storm;
    if (m.label === 'stompbox' && socket?.recoverMs !== undefined && socket.liveMs !== undefined) {
      parts.push(`the socket floor recovers in ${(socket.recoverMs / socket.liveMs).toFixed(2)} × its live time`);
    }
  }
  if (m.retained !== undefined) parts.push(`${m.retained.toLocaleString('en')} retained`);
  if (m.rssColdPerMessage !== undefined) parts.push(`${m.rssColdPerMessage.toFixed(0)} B/msg from the cold broker`);
  if (s.metric === 'delivered/s' && m.publishedPerSec !== undefined && m.publishedPerSec > 0) parts.push(`published ${fmt(m.publishedPerSec, 'delivered/s')}/s`);
  if (s.id === 'S8' && m.label === 'stompbox (retention)') {
    // What retention costs beyond the bytes its two headers add to every frame.
    const same = pairedRatio(m, byPeer(s, S8_PADDED), 'delivered/s');
    if (same !== undefined) parts.push(`${same.toFixed(2)} × S1 with frames as long`);
    const rounds = roundRatios(m, byPeer(s, 'stompbox'));
    if (rounds.length > 1) parts.push(`rounds × S1 ${rounds[0].toFixed(2)}–${rounds[rounds.length - 1].toFixed(2)}`);
  }
  if (m.errors > 0) parts.push(`${m.errors} ERROR frames`);
  return parts.join('; ');
}

const cores = (n: number | undefined): string => (n === undefined ? '—' : n.toFixed(2));

/**
 * The section of issues 15–17: one row per run with its figure, what else it measured, the
 * CPU of broker and load generator, and for skipped runs why (pending or absent); then what
 * the external peers said about themselves (pinning, installs).
 */
export function nextSection(results: BenchResults): string[] {
  const next = results.scenarios.filter((s) => NEXT.includes(s.id));
  if (next.length === 0) return [];
  const lines = [
    'Issues 15–17 (retention, queues, selectors, TCP, SSE, HTTP publish; queue peers over STOMP on TCP):',
    '',
    '| scenario | run | figure | detail | broker CPU | loadgen CPU | status |',
    '|---|---|---:|---|---:|---:|---|',
  ];
  for (const s of next) {
    lines.push(`| **${s.id}** ${s.title} | | ${s.metric} | | | | |`);
    for (const m of s.runs) {
      if (m.skipped !== undefined || m.failed !== undefined) {
        const status = (m.skipped ?? `failed: ${m.failed}`).replace(/\|/g, '/').slice(0, 200);
        lines.push(`| | ${m.label} | — | | | | ${status} |`);
        continue;
      }
      const value = s.metric === 'recover ms' && m.storm?.recoverMs === undefined ? `${fmt(m.storm?.acceptedPerSec, 'acked/s')} conn/s` : fmt(figureOf(s, m), s.metric);
      const spread = (m.repeats ?? []).filter(Number.isFinite);
      const runs = spread.length > 1 ? ` (${spread.length} runs)` : '';
      lines.push(`| | ${m.label} | ${value}${runs} | ${detail(s, m)} | ${cores(m.brokerCores)} | ${cores(m.loadgenCores)} | ${(m.notes ?? []).filter((n) => n.startsWith('over ')).join('; ') || 'measured'} |`);
    }
  }
  const notes = new Map<string, string[]>();
  for (const s of next) for (const m of s.runs) if (m.notes !== undefined && !notes.has(m.peer)) notes.set(m.peer, m.notes.filter((n) => !n.startsWith('over ')));
  const peerNotes = [...notes].filter(([, n]) => n.length > 0);
  if (peerNotes.length > 0) {
    lines.push('', 'Peers:', '');
    for (const [peer, n] of peerNotes) lines.push(`- ${peer}: ${n.join('; ')}`);
  }
  lines.push('');
  return lines;
}

function figureOf(s: ScenarioResult, m: Measurement): number | undefined {
  if (s.metric === 'acked/s' || s.metric === 'delivered/s') return m.deliveredPerSec;
  if (s.metric === 'requests/s') return m.publishedPerSec;
  if (s.metric === 'RSS/msg') return m.rssPerMessage;
  if (s.metric === 'recover ms') return m.storm?.recoverMs;
  return undefined;
}
