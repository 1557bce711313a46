import type { LoadSpec, QueueSpec } from './loadgen/load-spec';
import type { Capability } from './peers/peer-ready';
import { BASE, fanoutSpec, type BenchSettings, type PeerName, type Run, type Scenario, type ScenarioId } from './scenarios';

/**
 * The scenarios of issues 15–17: retention (S8, S8-mem, S9), queues (S10, S11), selectors
 * (S12), TCP (S13), SSE (S14) and HTTP publish. Every stompbox run requires the capability it
 * measures; until stompbox has it, the run is reported as pending with the reason its check
 * gave (bench/peers/stompbox-features.ts), and the peers' runs are measured all the same.
 */

type Spec = Omit<LoadSpec, 'port'>;

/** S8's control run: S1 with 48 bytes more per frame, no retention. */
export const S8_PADDED = 'stompbox (48 B more per frame, no retention)';

const run = (scenario: ScenarioId, label: string, peer: PeerName, spec: Spec, requires: Capability[], wsFallback?: boolean): Run => ({
  scenario,
  label,
  peer,
  spec,
  requires,
  wsFallback,
});

/** S10/S11's load: 10 producers, 10 competing consumers of one queue, prefetch 100, over TCP. The broker's dialect is filled in by the runner. */
function queueSpec(timing: { warmupMs: number; measureMs: number }, persistent: boolean): Spec {
  const queue: QueueSpec = {
    producers: 10,
    consumers: 10,
    prefetch: 100,
    window: 200,
    persistent,
    receiptWindow: 100,
    subscribeHeaders: {},
    sendHeaders: {},
    prefetchHeader: 'prefetch-count',
    drainMs: 30_000,
  };
  return { ...BASE, ...timing, kind: 'queue', transport: 'tcp', publisherTransport: 'tcp', lanes: 0, fanout: 0, window: 0, queue };
}

/** The scenarios of issues 15–17, in order. */
export function nextScenarios(s: BenchSettings): Scenario[] {
  const timing = { warmupMs: s.warmupMs, measureMs: s.measureMs };
  const s1 = fanoutSpec(timing, 1, 100, 200);
  const tcp: Spec = { ...s1, transport: 'tcp', publisherTransport: 'tcp' };
  const storm = (mode: 'resume' | 'accept'): Spec => ({ ...BASE, ...timing, kind: 'storm', lanes: 0, fanout: 0, window: 0, storm: { subscribers: s.stormSubscribers, messages: 50, mode, concurrency: 200 } });
  const brokers = (id: ScenarioId, spec: Spec, requires: Capability[]): Run[] => [
    run(id, 'stompbox', 'stompbox', spec, requires, true),
    run(id, 'rabbitmq', 'rabbitmq', spec, requires),
    run(id, 'activemq', 'activemq', spec, requires),
  ];
  const httpSpec: Spec = { ...BASE, ...timing, kind: 'http-publish', lanes: 0, fanout: 0, window: 0 };
  return [
    {
      id: 'S8',
      title: 'S1 with retention on the topic',
      metric: 'delivered/s',
      // The third run is the control: S1 whose frames carry as many bytes again as a retained
      // MESSAGE's x-stream-offset and x-stream-epoch (48 with a six-digit offset), without retention.
      runs: [
        run('S8', 'stompbox', 'stompbox', s1, ['topic-ws']),
        run('S8', 'stompbox (retention)', 'stompbox', s1, ['retention']),
        run('S8', S8_PADDED, 'stompbox', { ...s1, padding: 48 }, ['topic-ws']),
      ],
    },
    {
      id: 'S8-mem',
      title: `${s.retained.toLocaleString('en')} retained 128-byte messages (100 on each of ${(s.retained / 100).toLocaleString('en')} destinations)`,
      metric: 'RSS/msg',
      runs: (['stompbox', 'floor-retained'] as const).map((peer) =>
        run('S8-mem', peer === 'stompbox' ? peer : 'floor (retained)', peer, { ...BASE, ...timing, kind: 'retain-fill', lanes: 0, fanout: 0, window: 0, retain: s.retained }, ['retention']),
      ),
    },
    {
      id: 'S9',
      title: `reconnect storm: ${s.stormSubscribers.toLocaleString('en')} subscribers of a retained topic drop, 50 messages, resume`,
      metric: 'recover ms',
      runs: [
        run('S9', 'stompbox', 'stompbox', storm('resume'), ['retention']),
        run('S9', 'floor (accept)', 'floor-framed', storm('accept'), ['accept']),
        run('S9', 'floor (retained)', 'floor-retained', storm('resume'), ['retention']),
        run('S9', 'floor (socket)', 'floor-socket', storm('resume'), ['retention']),
      ],
    },
    { id: 'S10', title: '10 producers → 10 competing consumers of one queue, client-individual acks', metric: 'acked/s', runs: brokers('S10', queueSpec(timing, false), ['queue']) },
    {
      id: 'S11',
      title: 'S10 with persistent messages, receipts awaited (100 in flight per producer)',
      metric: 'acked/s',
      runs: brokers('S11', queueSpec(timing, true), ['queue', 'durable']),
    },
    {
      id: 'S12',
      title: 'S1 with a selector on every subscriber (half the messages match)',
      metric: 'delivered/s',
      runs: [run('S12', 'stompbox', 'stompbox', s1, ['topic-ws']), run('S12', 'stompbox (selector)', 'stompbox', { ...s1, selector: true }, ['selector'])],
    },
    {
      id: 'S13',
      title: 'S1 over STOMP on TCP',
      metric: 'delivered/s',
      runs: [
        run('S13', 'stompbox (ws)', 'stompbox', s1, ['topic-ws']),
        run('S13', 'stompbox (tcp)', 'stompbox', tcp, ['tcp']),
        run('S13', 'rabbitmq (tcp)', 'rabbitmq', tcp, ['tcp']),
        run('S13', 'rabbitmq (web-stomp)', 'rabbitmq', s1, ['topic-ws']),
      ],
    },
    {
      id: 'S14',
      title: 'S1 with the 100 subscribers on SSE',
      metric: 'delivered/s',
      runs: [run('S14', 'stompbox (ws)', 'stompbox', s1, ['topic-ws']), run('S14', 'stompbox (sse)', 'stompbox', { ...s1, transport: 'sse' }, ['sse'])],
    },
    {
      id: 'HTTP',
      title: 'HTTP publish: one keep-alive client, 128-byte POSTs',
      metric: 'requests/s',
      runs: [run('HTTP', 'http-floor', 'http-floor', httpSpec, ['http-publish']), run('HTTP', 'stompbox', 'stompbox', httpSpec, ['http-publish'])],
    },
  ];
}
