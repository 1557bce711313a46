import { bestFloor, byPeer, figure, pairedRatio, ratio, type Measurement, type RegistryScaling, type ScenarioResult, type TargetResult } from './report';
import type { ScenarioId } from './scenarios';

/**
 * The targets, evaluated on one run's results: issue 5's (S1–S7) against the floors, then
 * issues 15–17's (S8–S14, HTTP publish) against the same run's other figures or peers. A
 * target whose run was skipped carries the skip's reason (`pending: ...` while stompbox lacks
 * the capability, `absent: ...` for a peer that is not here).
 */
export function evaluateTargets(scenarios: ScenarioResult[], s7: RegistryScaling | undefined): TargetResult[] {
  const run = (id: ScenarioId, label: string): Measurement | undefined => {
    const s = scenarios.find((x) => x.id === id);
    return s === undefined ? undefined : byPeer(s, label);
  };
  const get = (id: ScenarioId, label: string): number | undefined => {
    const s = scenarios.find((x) => x.id === id);
    return s === undefined ? undefined : figure(byPeer(s, label), s.metric);
  };
  const floorOf = (id: ScenarioId): number | undefined => {
    const s = scenarios.find((x) => x.id === id);
    return s === undefined ? undefined : bestFloor(s);
  };
  /** The first skip among the runs a target needs. */
  const why = (...runs: [ScenarioId, string][]): string | undefined => runs.map(([id, l]) => run(id, l)?.skipped).find((x) => x !== undefined);
  const judge = (target: string, r: number | undefined, limit: number, ok: (r: number) => boolean, skipped?: string): TargetResult => ({
    target,
    ratio: r,
    limit,
    pass: r === undefined ? undefined : ok(r),
    ...(r === undefined && skipped !== undefined ? { skipped } : {}),
  });
  const atLeast = (target: string, r: number | undefined, limit: number, skipped?: string): TargetResult => judge(target, r, limit, (x) => x >= limit, skipped);
  const atMost = (target: string, r: number | undefined, limit: number, skipped?: string): TargetResult => judge(target, r, limit, (x) => x <= limit, skipped);
  const out: TargetResult[] = [];
  for (const id of ['S1', 'S2', 'S4'] as const) {
    out.push(atLeast(`${id} delivered/s ≥ 0.7 × corked floor`, ratio(get(id, 'stompbox'), get(id, 'floor-corked')), 0.7));
  }
  out.push(atMost('S3 p99 ≤ 2 × floor p99 (lowest of the three floors)', ratio(get('S3', 'stompbox'), floorOf('S3')), 2));
  out.push(atMost('S5 RSS/conn ≤ 1.3 × floor (lowest of the three floors)', ratio(get('S5', 'stompbox'), floorOf('S5')), 1.3));
  out.push(atLeast('S6 SockJS websocket ≥ 0.5 × plain WebSocket', ratio(get('S6', 'sockjs-ws'), get('S6', 'ws')), 0.5));
  for (const kind of ['exact', 'pattern'] as const) {
    const sizes = s7 === undefined ? [] : Object.keys(s7[kind]).map(Number);
    const largest = sizes[sizes.length - 1];
    out.push(
      atMost(`S7 ${kind}: ns/publish at ${largest?.toLocaleString('en') ?? '1M'} ≤ 1.5 × at 1,000`, s7 === undefined ? undefined : ratio(s7[kind][largest], s7[kind][1000]), 1.5),
    );
  }
  if (scenarios.some((s) => !['S1', 'S2', 'S3', 'S4', 'S5', 'S6'].includes(s.id))) out.push(...nextTargets(run, get, why, atLeast, atMost));
  return out;
}

type Get = (id: ScenarioId, label: string) => number | undefined;
type Judge = (target: string, r: number | undefined, limit: number, skipped?: string) => TargetResult;

function nextTargets(
  run: (id: ScenarioId, label: string) => Measurement | undefined,
  get: Get,
  why: (...runs: [ScenarioId, string][]) => string | undefined,
  atLeast: Judge,
  atMost: Judge,
): TargetResult[] {
  const out: TargetResult[] = [];
  const has = (id: ScenarioId, label: string): boolean => run(id, label) !== undefined;
  if (has('S8', 'stompbox (retention)')) {
    // Paired by round: S8's two runs drift together with the machine more than they differ.
    const retained = pairedRatio(run('S8', 'stompbox (retention)'), run('S8', 'stompbox'), 'delivered/s');
    out.push(atLeast('S8 S1 with retention ≥ 0.9 × S1 without (median of the rounds\' ratios)', retained, 0.9, why(['S8', 'stompbox (retention)'])));
  }
  if (has('S8-mem', 'stompbox')) {
    const b = get('S8-mem', 'stompbox');
    out.push(atMost('S8-mem RSS per retained 128-byte message ≤ 400 B (shown: measured / 400 B)', b === undefined ? undefined : b / 400, 1, why(['S8-mem', 'stompbox'])));
  }
  const storm = run('S9', 'stompbox');
  if (storm !== undefined) {
    const st = storm.storm;
    out.push(atMost('S9 first reconnect → last recovered ≤ 1.5 × the same deliveries live', ratio(st?.recoverMs, st?.liveMs), 1.5, storm.skipped));
    out.push(atLeast('S9 every subscriber recovers every message (shown: share of subscribers)', st?.recovered === undefined ? undefined : st.recovered / st.subscribers, 1, storm.skipped));
  }
  if (has('S10', 'stompbox')) {
    out.push(atLeast('S10 acked/s ≥ 3 × RabbitMQ', ratio(get('S10', 'stompbox'), get('S10', 'rabbitmq')), 3, why(['S10', 'stompbox'], ['S10', 'rabbitmq'])));
    out.push(atLeast('S10 acked/s ≥ 2 × ActiveMQ', ratio(get('S10', 'stompbox'), get('S10', 'activemq')), 2, why(['S10', 'stompbox'], ['S10', 'activemq'])));
  }
  if (has('S11', 'stompbox')) {
    const peers = [get('S11', 'rabbitmq'), get('S11', 'activemq')].filter((n): n is number => n !== undefined);
    const faster = peers.length === 0 ? undefined : Math.max(...peers);
    out.push(atLeast('S11 durable acked/s ≥ 1 × the faster of RabbitMQ and ActiveMQ', ratio(get('S11', 'stompbox'), faster), 1, why(['S11', 'stompbox'], ['S11', 'rabbitmq'])));
  }
  for (const id of ['S10', 'S11'] as const) {
    const measured = ['stompbox', 'rabbitmq', 'activemq'].map((l) => run(id, l)).filter((m): m is Measurement => m?.lost !== undefined);
    if (measured.length > 0) {
      const clean = measured.filter((m) => m.lost === 0 && m.duplicated === 0).length;
      out.push(atLeast(`${id} nothing lost or duplicated after the drain (shown: share of peers measured: ${measured.map((m) => m.label).join(', ')})`, clean / measured.length, 1));
    }
  }
  if (has('S12', 'stompbox (selector)')) {
    out.push(atLeast('S12 S1 with selectors ≥ 0.7 × S1', ratio(get('S12', 'stompbox (selector)'), get('S12', 'stompbox')), 0.7, why(['S12', 'stompbox (selector)'])));
  }
  if (has('S13', 'stompbox (tcp)')) {
    out.push(atLeast('S13 S1 over TCP ≥ 1.0 × over WebSocket', ratio(get('S13', 'stompbox (tcp)'), get('S13', 'stompbox (ws)')), 1, why(['S13', 'stompbox (tcp)'])));
    out.push(atLeast('S13 S1 over TCP ≥ 20 × RabbitMQ over TCP', ratio(get('S13', 'stompbox (tcp)'), get('S13', 'rabbitmq (tcp)')), 20, why(['S13', 'stompbox (tcp)'], ['S13', 'rabbitmq (tcp)'])));
  }
  if (has('S14', 'stompbox (sse)')) {
    out.push(atLeast('S14 S1 to SSE subscribers ≥ 0.5 × to WebSocket', ratio(get('S14', 'stompbox (sse)'), get('S14', 'stompbox (ws)')), 0.5, why(['S14', 'stompbox (sse)'])));
  }
  if (has('HTTP', 'stompbox')) {
    out.push(atLeast('HTTP publish requests/s ≥ 0.5 × bare node:http 202', ratio(get('HTTP', 'stompbox'), get('HTTP', 'http-floor')), 0.5, why(['HTTP', 'stompbox'])));
  }
  return out;
}
