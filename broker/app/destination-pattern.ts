import { StompError } from '../errors';

/**
 * A handler mapping such as `/chat/{room}/messages`, `/orders/*` or `/files/**` (Spring's
 * AntPathMatcher subset on whole segments): `{name}` and `*` match one segment, `**` any
 * number of segments. Variables are captured by name into `params`.
 */
export class DestinationPattern {
  readonly literal: boolean;
  readonly variables: readonly string[];
  private readonly regex: RegExp | undefined;
  /** Lower is more specific: ordering when several patterns match (literal segments win). */
  readonly specificity: number;

  constructor(readonly source: string) {
    if (typeof source !== 'string' || !source.startsWith('/')) {
      throw new StompError('STOMP_ERR_INVALID_OPTION', `Destination pattern must start with "/"; received ${JSON.stringify(source)}`);
    }
    const segs = source.split('/');
    const variables: string[] = [];
    let wild = 0;
    let glob = 0;
    const parts = segs.map((seg) => {
      if (seg === '**') {
        glob++;
        return '(?:[^/]*(?:/[^/]*)*)?';
      }
      if (seg === '*') {
        wild++;
        return '[^/]+';
      }
      const m = /^\{([A-Za-z_$][\w$]*)\}$/.exec(seg);
      if (m !== null) {
        wild++;
        variables.push(m[1]);
        return `(?<${m[1]}>[^/]+)`;
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    });
    this.variables = variables;
    this.literal = wild === 0 && glob === 0;
    this.specificity = glob * 1000 + wild;
    // '/a/**' also matches '/a': let the slash before '**' be optional.
    this.regex = this.literal ? undefined : new RegExp(`^${parts.join('/').replace(/\/\(\?:\[\^\/\]\*/g, '(?:/[^/]*')}$`);
  }

  /**
   * True when some destination matches both patterns (segment by segment: a literal meets
   * an equal literal or any wildcard; `**` absorbs any run of segments).
   */
  overlaps(other: DestinationPattern): boolean {
    return overlap(kinds(this.source), 0, kinds(other.source), 0, new Map());
  }

  /** The captured variables when `destination` matches, else undefined. */
  match(destination: string): Record<string, string> | undefined {
    if (this.regex === undefined) return destination === this.source ? {} : undefined;
    const m = this.regex.exec(destination);
    if (m === null) return undefined;
    const params: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const name of this.variables) params[name] = decodeURIComponent(m.groups![name]);
    return params;
  }
}

/** A segment as overlap sees it: `**`, a one-segment wildcard (`*`, `{var}`), or a literal. */
type Segment = { glob: true } | { glob: false; literal: string | undefined };

function kinds(source: string): Segment[] {
  return source.split('/').slice(1).map((seg) => {
    if (seg === '**') return { glob: true };
    return { glob: false, literal: seg === '*' || /^\{[^}]+\}$/.test(seg) ? undefined : seg };
  });
}

function overlap(a: Segment[], i: number, b: Segment[], j: number, seen: Map<string, boolean>): boolean {
  const key = `${i},${j}`;
  const known = seen.get(key);
  if (known !== undefined) return known;
  let result: boolean;
  if (i === a.length || j === b.length) {
    const rest = i === a.length ? b.slice(j) : a.slice(i);
    result = rest.every((s) => s.glob);
  } else if (a[i].glob) {
    result = overlap(a, i + 1, b, j, seen) || overlap(a, i, b, j + 1, seen);
  } else if (b[j].glob) {
    result = overlap(a, i, b, j + 1, seen) || overlap(a, i + 1, b, j, seen);
  } else {
    const x = (a[i] as { literal: string | undefined }).literal;
    const y = (b[j] as { literal: string | undefined }).literal;
    result = (x === undefined || y === undefined || x === y) && overlap(a, i + 1, b, j + 1, seen);
  }
  seen.set(key, result);
  return result;
}
