import { Agent, request } from 'node:http';
import type { LoadResult, LoadSpec } from './load-spec';
import { measureWindow } from './measure-window';
import { fixedBody } from './stomp-frames';

/**
 * The HTTP publish driver: one client on one keep-alive connection POSTing a 128-byte body to
 * `<publishPath>?destination=/topic/bench.0` with a bearer token, one request after the other
 * (HTTP/1.1 without pipelining, as a backend's HTTP client sends). The figure is answers per
 * second over the window; anything but 202 counts as an error.
 */
export async function runHttpPublish(spec: LoadSpec): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const payload = Buffer.from(fixedBody());
  const headers: Record<string, string | number> = { 'content-type': 'text/plain', 'content-length': payload.length };
  if (spec.publishToken !== undefined) headers.authorization = `Bearer ${spec.publishToken}`;
  const path = `${spec.publishPath ?? '/publish'}?destination=${encodeURIComponent('/topic/bench.0')}`;
  let answered = 0;
  let errors = 0;
  let running = true;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port: spec.port, method: 'POST', path, headers, agent }, (res) => {
        if (res.statusCode === 202) answered++;
        else errors++;
        res.resume();
        res.once('end', resolve);
      });
      req.once('error', () => {
        errors++;
        resolve();
      });
      req.end(payload);
    });
  const loop = (async (): Promise<void> => {
    while (running) {
      await one();
      if (errors > 1000) throw new Error(`HTTP publish: ${errors} requests failed`);
    }
  })();
  const w = await measureWindow(
    spec,
    () => answered,
    () => answered,
  );
  running = false;
  await loop;
  agent.destroy();
  return {
    deliveredPerSec: 0,
    publishedPerSec: w.published / w.seconds,
    delivered: 0,
    seconds: w.seconds,
    loadgenCpu: { cores: w.cores },
    errors,
  };
}
