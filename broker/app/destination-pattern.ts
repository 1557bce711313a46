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
