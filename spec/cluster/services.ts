/**
 * Real services the cluster specs need. When one is missing, a spec fails loudly under CI
 * (env CI set) and otherwise skips with the reason printed: it never passes silently.
 */
import { hasCommand, listening } from '../support/requirements';
import { recordSkip } from '../support/skips';

export { hasCommand, listening };

/**
 * `describe` when the service answers on `port`; otherwise `describe.skip` with a warning,
 * or an error under CI.
 */
export function describeWith(service: string, port: number, hint: string): jest.Describe {
  if (listening(port)) return describe;
  const reason = `${service} is not reachable on 127.0.0.1:${port} (${hint})`;
  if (process.env.CI) throw new Error(`CI needs ${reason}`);
  recordSkip(`${service} specs`, reason);
  return describe.skip;
}

/** Resolves when `check()` is truthy, polling every 20 ms; rejects after `ms` naming `what`. */
export async function eventually<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
