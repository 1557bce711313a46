import type { IncomingHttpHeaders } from 'node:http';
import { StompError } from '../errors';

/**
 * Which browser origins may open a connection (Spring's `setAllowedOrigins` /
 * `setAllowedOriginPatterns`). A handshake without an `Origin` header comes from a
 * non-browser client and is allowed, as in Spring. With `Origin` present it must be the
 * request's own host (same origin, the default) or match one of the allowed entries: an exact
 * origin (`https://app.example.com`), a pattern whose `*` stands for host labels or a port
 * (`https://*.example.com`, `http://localhost:*`), or `*` for every origin.
 */
export class OriginPolicy {
  private readonly any: boolean;
  private readonly exact = new Set<string>();
  private readonly patterns: RegExp[] = [];

  /** @throws StompError `STOMP_ERR_INVALID_OPTION` naming `allowedOrigins` when an entry is not an origin or pattern */
  constructor(allowed: readonly string[]) {
    this.any = allowed.includes('*');
    for (const entry of allowed) {
      if (entry === '*') continue;
      if (typeof entry !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+$/i.test(entry)) {
        throw new StompError('STOMP_ERR_INVALID_OPTION', `Option "allowedOrigins" entries must be "*" or origins like "https://app.example.com" (no path); received ${JSON.stringify(entry)}`);
      }
      if (entry.includes('*')) {
        const source = entry.toLowerCase().split('*').map(escape).join('[a-z0-9-]+(?:\\.[a-z0-9-]+)*');
        this.patterns.push(new RegExp(`^${source}$`));
      } else this.exact.add(entry.toLowerCase());
    }
  }

  /** True when a handshake with these headers may proceed. */
  allows(headers: IncomingHttpHeaders): boolean {
    const origin = headers.origin;
    if (origin === undefined || this.any) return true;
    const normalized = origin.toLowerCase();
    if (this.exact.has(normalized)) return true;
    for (const p of this.patterns) if (p.test(normalized)) return true;
    return sameOrigin(normalized, headers.host);
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Origin's host and port equal the Host header's, default ports normalized. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" and other opaque origins
  }
  const expected = host.toLowerCase().replace(/:(80|443)$/, '');
  return url.host === expected;
}
