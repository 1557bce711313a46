import { DestinationPattern } from '../destinations/destination-pattern';
import { decodeSegment, encodeSegment, isPattern, SUBSCRIBE_CONTEXT } from '../destinations/segments';

/**
 * Prefix matching for destinations (Spring's destination prefixes), always on segment
 * boundaries: `/topic` matches `/topic` and `/topic/x`, never `/topicx`.
 */
export function hasPrefix(destination: string, prefix: string): boolean {
  if (prefix === '/') return destination.startsWith('/');
  return destination.startsWith(prefix) && (destination.length === prefix.length || destination.charCodeAt(prefix.length) === 0x2f);
}

/** A destination addressed to one user: `/user/<name>/<rest>` → `user` and `/user/<rest>`. */
export interface UserTarget {
  readonly user: string;
  /** The destination the user's principal-based subscriptions use (`/user/<rest>`). */
  readonly destination: string;
}

/** Decides where a destination belongs: application handlers, the broker, or a user. */
export class DestinationRouter {
  constructor(
    readonly brokerPrefixes: readonly string[],
    readonly applicationPrefixes: readonly string[],
    readonly userPrefix: string,
  ) {}

  /** True when the destination falls under a broker prefix. */
  isBrokerDestination(destination: string): boolean {
    for (const p of this.brokerPrefixes) if (hasPrefix(destination, p)) return true;
    return false;
  }

  /** True when `/user/<name>/...` destinations are also plain broker destinations (the literal form). */
  get literalUserDestinations(): boolean {
    return this.isBrokerDestination(`${this.userPrefix}/x`);
  }

  /** The destination with its application prefix stripped, or undefined when none matches. */
  applicationDestination(destination: string): string | undefined {
    for (const p of this.applicationPrefixes) {
      if (hasPrefix(destination, p)) return p === '/' ? destination : destination.slice(p.length) || '/';
    }
    return undefined;
  }

  /** True when the destination is under the user prefix. */
  isUserDestination(destination: string): boolean {
    return hasPrefix(destination, this.userPrefix) && destination.length > this.userPrefix.length + 1;
  }

  /**
   * Splits `/user/<name>/<rest>` into its user (percent-decoded) and `/user/<rest>`; undefined when not of that form.
   * @throws StompError `STOMP_ERR_INVALID_DESTINATION` when the name has a malformed percent-escape
   */
  userTarget(destination: string): UserTarget | undefined {
    if (!this.isUserDestination(destination)) return undefined;
    const start = this.userPrefix.length + 1;
    const slash = destination.indexOf('/', start);
    if (slash === -1 || slash === start || slash === destination.length - 1) return undefined;
    return { user: decodeSegment(destination.slice(start, slash), destination), destination: this.userPrefix + destination.slice(slash) };
  }

  /**
   * `/user/<name><destination>`: the literal destination of a user's messages. The name is
   * percent-encoded, `*` included, so that no principal (`*`, `**`, `{x}`) makes it a pattern.
   */
  literalUserDestination(user: string, destination: string): string {
    return `${this.userPrefix}/${encodeSegment(user)}${destination}`;
  }

  /**
   * True when `destination` is `user`'s own literal user destination: its name segment is the
   * literal (not a wildcard) `user` encoded as {@link literalUserDestination} writes it, so
   * what it can match is `user`'s messages only.
   */
  isOwnUserDestination(destination: string, user: string): boolean {
    return destination.startsWith(this.literalUserDestination(user, '/'));
  }

  /**
   * True when a pattern subscription could match a literal user destination (`/user/<name>/…`)
   * without being under the user prefix itself: `/**`, `/*\/zhangsan/message`. Only a broker
   * prefix such as `/` lets such a pattern reach the broker.
   */
  reachesUserDestinations(destination: string): boolean {
    if (!isPattern(destination) || hasPrefix(destination, this.userPrefix)) return false;
    return new DestinationPattern(destination, SUBSCRIBE_CONTEXT).overlaps(this.userSpace);
  }

  private get userSpace(): DestinationPattern {
    return (this.userSpaceCache ??= new DestinationPattern(`${this.userPrefix}/*/**`));
  }

  private userSpaceCache: DestinationPattern | undefined;
}
