import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stompAnswers } from './debian';
import { probePublish, probeQueue, probeRetention, probeSelector, probeSse } from './feature-probe';
import type { Capability, PeerEndpoints } from './peer-ready';

/**
 * The stompbox side of the scenarios of issues 15–17: the `StompServer` options each
 * capability is started with (the names SPEC §6 gives as indicative) and the wire check that
 * proves it works once started. A scenario runs on stompbox when its check passes and is
 * reported as pending, with the check's reason, while it fails: when queues, selectors, the
 * store, TCP, SSE, HTTP publish or retention land, they are measured without editing the
 * scenarios. If a feature lands under other option names, only {@link optionsFor} changes.
 */

/** SSE path, HTTP publish path and its token, as the reference app has them. */
export const SSE_PATH = '/sse';
export const PUBLISH_PATH = '/publish';
export const PUBLISH_TOKEN = 'stompbox-bench-token';

/** What one capability adds to the options, and where it is reached. */
export interface FeatureSetup {
  options: Record<string, unknown>;
  endpoints: PeerEndpoints;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The store file of the durable run: in a fresh temporary directory of the peer process. */
const storeFile = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'stompbox-bench-store-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'store.db');
};
let store: string | undefined;

/** The options that turn `features` on. */
export async function optionsFor(features: readonly Capability[]): Promise<FeatureSetup> {
  const options: Record<string, unknown> = {};
  const endpoints: PeerEndpoints = { wsPath: '/ws', sockjsPrefix: '/sock' };
  const on = (c: Capability): boolean => features.includes(c);
  // S8/S9: the reference app's rule; S8's memory figure retains 100 on each of 1,000 destinations.
  if (on('retention')) options.retention = [{ destinations: '/topic/**', messages: 100, maxAge: 10 * 60_000 }];
  if (on('queue') || on('durable')) options.queues = [{ destinations: '/queue/**' }];
  if (on('durable')) options.store = { sqlite: { file: (store = storeFile()) } };
  if (on('tcp')) {
    const port = await freePort();
    options.tcp = { port, host: '127.0.0.1' };
    endpoints.tcpPort = port;
  }
  if (on('sse')) {
    options.sse = { path: SSE_PATH };
    endpoints.ssePath = SSE_PATH;
  }
  if (on('http-publish')) {
    options.httpPublish = { path: PUBLISH_PATH, token: PUBLISH_TOKEN };
    endpoints.publishPath = PUBLISH_PATH;
    endpoints.publishToken = PUBLISH_TOKEN;
  }
  return { options, endpoints };
}

/** Runs the wire check of each requested capability against the started server: the reasons of those that fail. */
export async function checkFeatures(features: readonly Capability[], port: number, endpoints: PeerEndpoints): Promise<Partial<Record<Capability, string>>> {
  const url = `ws://127.0.0.1:${port}/ws`;
  const checks: Partial<Record<Capability, () => Promise<string | undefined>>> = {
    retention: () => probeRetention(url),
    queue: () => probeQueue(url, { 'prefetch-count': '10' }),
    selector: () => probeSelector(url),
    durable: async () => {
      const q = await probeQueue(url);
      if (q !== undefined) return q;
      return store !== undefined && existsSync(store) && statSync(store).size > 0 ? undefined : `option store: ${store} was not written by a receipted persistent SEND`;
    },
    tcp: async () => ((await stompAnswers(endpoints.tcpPort!, undefined)) ? undefined : `option tcp: nothing answers STOMP CONNECT on ${endpoints.tcpPort}`),
    sse: () => probeSse(port, SSE_PATH),
    'http-publish': () => probePublish(port, PUBLISH_PATH, PUBLISH_TOKEN),
  };
  const pending: Partial<Record<Capability, string>> = {};
  // Checked first and once: durable queues need queues.
  const order = [...features].sort((a, b) => Number(b === 'queue') - Number(a === 'queue'));
  for (const f of order) {
    if (f === 'durable' && pending.queue !== undefined) {
      pending.durable = 'no queues yet, so no durable queues';
      continue;
    }
    const check = checks[f];
    if (check === undefined) continue;
    const reason = await check().catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
    if (reason !== undefined) pending[f] = `stompbox does not do it yet: ${reason}`;
  }
  return pending;
}
