import { invalidOption, refuseUnknown } from '../../option-kit';

/** Options of the Server-Sent Events endpoint (`sse: true` takes every default). */
export interface SseOptions {
  /** The path of the event streams (`GET <path>?destination=<d>`). @defaultValue `'/sse'` */
  path?: string;
  /** Heart-beat comment interval, ms: a stream never stays silent longer (proxies close idle responses). @defaultValue `25000` */
  heartbeat?: number;
  /** The `retry:` the stream announces: how long a browser waits before it reconnects, ms. @defaultValue `3000` */
  retry?: number;
}

/** The SSE options after defaults, frozen. */
export type ResolvedSseOptions = Readonly<Required<SseOptions>>;

/** The defaults of the SSE options (units in comments). */
export const SSE_DEFAULTS: ResolvedSseOptions = Object.freeze({
  path: '/sse',
  heartbeat: 25000, // ms (SPEC §6.3: at least every 25 s)
  retry: 3000, // ms
});

const SSE_OPTION_NAMES: ReadonlySet<string> = new Set(Object.keys(SSE_DEFAULTS));

function fail(option: string, expected: string, got: unknown): never {
  return invalidOption(option, expected, got);
}

/** A path starting with "/", not ending with "/" and without a query. */
export function checkEndpointPath(option: string, value: unknown): void {
  if (typeof value !== 'string' || !value.startsWith('/') || (value.length > 1 && value.endsWith('/')) || /[?#\s]/.test(value)) {
    fail(option, 'a path starting with "/", not ending with "/", without "?", "#" or spaces', value);
  }
}

/**
 * Resolves the `sse` option: `false` (off), `true` (every default) or an object of
 * {@link SseOptions}.
 * @throws StompError `STOMP_ERR_INVALID_OPTION` naming the field at fault
 */
export function resolveSseOptions(value: unknown): ResolvedSseOptions | false {
  if (value === false || value === undefined) return false;
  if (value === true) return SSE_DEFAULTS;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('sse', 'a boolean or an object { path, heartbeat, retry }', value);
  refuseUnknown(value, SSE_OPTION_NAMES, '', 'sse.');
  const given = value as SseOptions;
  const o = {
    path: given.path ?? SSE_DEFAULTS.path,
    heartbeat: given.heartbeat ?? SSE_DEFAULTS.heartbeat,
    retry: given.retry ?? SSE_DEFAULTS.retry,
  };
  checkEndpointPath('sse.path', o.path);
  if (!Number.isInteger(o.heartbeat) || o.heartbeat < 100 || o.heartbeat > 25000) fail('sse.heartbeat', 'an integer from 100 to 25000 (ms)', o.heartbeat);
  if (!Number.isInteger(o.retry) || o.retry < 0) fail('sse.retry', 'an integer ≥ 0 (ms)', o.retry);
  return Object.freeze(o);
}
