import type { LoadResult, LoadSpec } from './load-spec';
import { tell } from './measure-window';
import { StompClient, type Target } from './stomp-client';
import { fixedBody, sendFrame } from './stomp-frames';

/** Destinations the retained messages are spread over: the reference app keeps 100 per destination. */
export const RETAIN_DESTINATIONS = 1000;
/** SENDs without RECEIPT at once. */
const WINDOW = 100;
/** The one destination of the warm-up: at most its own rule's 100 messages are retained. */
const WARMUP_DESTINATION = '/topic/warmup';

/**
 * Memory of retention (S8 memory): first the same traffic to one destination (`retain`
 * SENDs, of which at most 100 are kept), so that what the traffic itself grows in the broker
 * (V8's young generation grows with the allocation rate and is not given back) is in the
 * baseline; it reports `warm-ready` and waits while the runner reads the broker's RSS after a
 * GC. Then it publishes `retain` messages of 128 bytes over {@link RETAIN_DESTINATIONS}
 * destinations, each SEND with a receipt (at most {@link WINDOW} unanswered), so every one is
 * held when it reports `idle-ready`; the runner reads the RSS again after a GC and divides the
 * growth by the count. No subscriber is connected.
 */
export async function runRetainFill(spec: LoadSpec, target: Target): Promise<LoadResult> {
  const total = spec.retain ?? 100_000;
  const client = new StompClient('ws', target);
  await client.connect();
  const body = fixedBody();
  const fill = async (base: number, destination: (i: number) => string): Promise<void> => {
    let sent = 0;
    while (sent < total) {
      const upTo = Math.min(total, client.counts.receipt - base + WINDOW);
      const frames: string[] = [];
      for (; sent < upTo; sent++) frames.push(sendFrame(destination(sent), body, String(base + sent)));
      client.sendAll(frames);
      await client.waitFor('receipt', base + Math.min(total, client.counts.receipt - base + 1));
      if (client.counts.error > 0) throw new Error('broker answered a retained SEND with ERROR');
    }
    await client.waitFor('receipt', base + total);
  };
  await fill(0, () => WARMUP_DESTINATION);
  tell({ type: 'warm-ready' });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  await fill(total, (i) => `/topic/retained.${i % RETAIN_DESTINATIONS}`);
  tell({ type: 'idle-ready', connections: total });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const errors = client.counts.error;
  client.close();
  return { deliveredPerSec: 0, publishedPerSec: 0, delivered: 0, seconds: 0, connections: total, loadgenCpu: { cores: 0 }, errors };
}
