import { StompError } from './errors';

/**
 * The option-validation kit of the server, the relay and the Redis broker: one way to refuse a
 * value, one way to refuse a name nobody knows (with the nearest known name suggested), and one
 * way to freeze a table of defaults. Every refusal is a `STOMP_ERR_INVALID_OPTION` naming the
 * option at fault; `owner` is who takes the option (`''` for the server's own).
 */

/**
 * Refuses `option`: `<owner> option "<name>" must be <expected>; received <got>`.
 * @throws StompError `STOMP_ERR_INVALID_OPTION`, always
 */
export function invalidOption(option: string, expected: string, got: unknown, owner = ''): never {
  const who = owner === '' ? 'Option' : `${owner} option`;
  throw new StompError('STOMP_ERR_INVALID_OPTION', `${who} "${option}" must be ${expected}; received ${shown(got)}`);
}

/** A received value as the message shows it; functions and symbols, which JSON drops, by their type. */
function shown(value: unknown): string {
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') return `<${typeof value}>`;
  return JSON.stringify(value) ?? String(value);
}

/**
 * Refuses the first own key of `given` that is not in `known`, suggesting the nearest known
 * name (a typo such as `maxFrameSzie` or `Heartbeat` otherwise configures nothing, silently).
 * `prefix` names where the object sits (`sockjs.`).
 * @throws StompError `STOMP_ERR_INVALID_OPTION` naming the unknown option
 */
export function refuseUnknown(given: object, known: ReadonlySet<string>, owner = '', prefix = ''): void {
  for (const name of Object.keys(given)) {
    if (known.has(name)) continue;
    const near = nearestName(name, known);
    const who = owner === '' ? 'option' : `${owner} option`;
    throw new StompError(
      'STOMP_ERR_INVALID_OPTION',
      `Unknown ${who} "${prefix}${name}"${near === undefined ? '' : `; did you mean "${prefix}${near}"?`}`,
    );
  }
}

/**
 * The known name closest to `name`: equal but for case, or within an edit distance of a third
 * of its length (at least 1, at most 3); undefined when none is that close.
 */
export function nearestName(name: string, known: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    if (candidate.toLowerCase() === lower) return candidate;
    const d = editDistance(lower, candidate.toLowerCase(), limit);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** Levenshtein distance with adjacent transpositions counted as one edit; past `limit` it returns limit + 1. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2] + 1);
      current.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > limit) return limit + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length];
}

/**
 * Freezes a defaults table and every object and array in it, so no caller can change a default
 * for every later instance (`DEFAULTS.endpoints.push(...)` throws in strict mode).
 */
export function freezeDefaults<T extends object>(defaults: T): T {
  for (const value of Object.values(defaults)) if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) freezeDefaults(value as object);
  return Object.freeze(defaults);
}
