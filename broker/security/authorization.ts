import { DestinationPattern } from '../destinations/destination-pattern';
import { bind } from '../destinations/pattern-relations';
import { decodeSegment, isPattern, SUBSCRIBE_CONTEXT } from '../destinations/segments';
import { StompError } from '../errors';
import { andThen, isPromiseLike } from '../value-or-promise';

/** What a rule decides on. */
export interface AccessRequest {
  readonly command: 'SEND' | 'SUBSCRIBE';
  readonly destination: string;
  /**
   * Destination variables the rule's pattern captured. For a pattern subscription: the
   * variables that fall on one literal segment of the pattern wherever the two overlap.
   */
  readonly params: Readonly<Record<string, string>>;
  /**
   * True when `destination` is a pattern SUBSCRIBE (`*`, `**`, `{var}` segments): the rule
   * decides for every destination of it that the rule covers, so answer true only if all of
   * them may be read. A SEND destination is never a pattern.
   */
  readonly pattern: boolean;
  readonly user: string | undefined;
  readonly principal: unknown;
  readonly sessionId: string;
}

/** `'all'` (anyone), `'authenticated'` (any principal), `'none'`, or a predicate. */
export type Access = 'all' | 'authenticated' | 'none' | ((req: AccessRequest) => boolean | Promise<boolean>);

/**
 * One rule: the first rule whose destination and command match decides (Spring Security's
 * `simpDestMatchers`). A pattern SUBSCRIBE is allowed only when every destination it can match
 * is allowed, as {@link DestinationAuthorizer} explains.
 */
export interface DestinationRule {
  /** Destination pattern: `*`, `**` and `{var}` as in mappings and subscriptions (one grammar). */
  destination: string;
  /** Frames the rule applies to. @defaultValue both `SEND` and `SUBSCRIBE` */
  commands?: ('SEND' | 'SUBSCRIBE')[];
  access: Access;
}

/** Authorization of SEND and SUBSCRIBE by destination. */
export interface AuthorizationOptions {
  /** Rules in order; the first match decides. */
  rules?: DestinationRule[];
  /** What happens when no rule matches. @defaultValue `'all'` */
  otherwise?: Access;
  /**
   * Only a session whose principal is `<id>` may subscribe to `/user/<id>/**` (the literal user
   * destinations; Spring lets anyone read them). Authenticated sessions subscribing to another
   * user's literal destination get their own principal-based subscription instead, which
   * receives only their own messages; anonymous sessions are refused. "Own" means the name
   * segment is the literal, percent-encoded principal (never `*` or `{x}`); patterns that could
   * reach other users' literal destinations from outside `/user` (`/**` under a broker prefix
   * `/`) are refused to everyone. @defaultValue false
   */
  userDestinationsOwnOnly?: boolean;
}

interface CompiledRule {
  readonly pattern: DestinationPattern;
  readonly commands: ReadonlySet<string>;
  readonly access: Access;
}

/**
 * Checks SEND and SUBSCRIBE against the rules; refusals are `STOMP_ERR_FORBIDDEN`.
 *
 * An exact destination (every SEND, and a SUBSCRIBE without wildcards) is decided by the
 * first rule that matches it, else by `otherwise`. A pattern SUBSCRIBE stands for every
 * destination it can match, and is allowed only if each of them is. The rules are walked in
 * order: a rule that cannot match any destination of the pattern (no overlap) is skipped; one
 * that overlaps and refuses (`none`, `authenticated` for an anonymous session, a predicate
 * answering false) refuses the SUBSCRIBE; one that allows and contains the whole pattern ends
 * the walk; otherwise the walk goes on, and `otherwise` decides when no rule contained the
 * pattern. A predicate sees `pattern: true` and the variables the pattern fixes to a literal
 * (`/topic/rooms/lobby/**` against `/topic/rooms/{room}/**` gives `room: 'lobby'`); when one
 * of its variables falls on a wildcard of the pattern (`/topic/rooms/*`), the rule cannot
 * judge the rooms it does not name, and the SUBSCRIBE is refused without calling it.
 * Overlap and containment are decided on segments (`destinations/pattern-relations.ts`):
 * a refusal can be stricter than needed, never looser.
 */
export class DestinationAuthorizer {
  private readonly rules: CompiledRule[];
  private readonly otherwise: Access;
  readonly userDestinationsOwnOnly: boolean;

  /** @throws StompError `STOMP_ERR_INVALID_OPTION` naming `authorization.rules[i]` when a rule is malformed */
  constructor(options: AuthorizationOptions) {
    this.rules = (options.rules ?? []).map((rule, i) => {
      if (rule === null || typeof rule !== 'object' || typeof rule.destination !== 'string') {
        throw new StompError('STOMP_ERR_INVALID_OPTION', `Option "authorization.rules[${i}]" needs a destination pattern; received ${JSON.stringify(rule)}`);
      }
      checkAccess(`authorization.rules[${i}].access`, rule.access);
      const pattern = new DestinationPattern(rule.destination, { code: 'STOMP_ERR_INVALID_OPTION', what: `Option "authorization.rules[${i}].destination"`, captures: true });
      return { pattern, commands: new Set(rule.commands ?? ['SEND', 'SUBSCRIBE']), access: rule.access };
    });
    this.otherwise = options.otherwise ?? 'all';
    checkAccess('authorization.otherwise', this.otherwise);
    this.userDestinationsOwnOnly = options.userDestinationsOwnOnly === true;
  }

  /**
   * Resolves when allowed.
   * @throws StompError `STOMP_ERR_FORBIDDEN` naming the command, the destination and the rule;
   *   `STOMP_ERR_INVALID_DESTINATION` for a malformed percent-escape in a captured segment or a pattern past the limits
   */
  check(req: Omit<AccessRequest, 'params' | 'pattern'>): Promise<void> | void {
    if (req.command === 'SUBSCRIBE' && isPattern(req.destination)) {
      return this.walk(new DestinationPattern(req.destination, SUBSCRIBE_CONTEXT), { ...req, params: {}, pattern: true }, 0);
    }
    for (const rule of this.rules) {
      if (!rule.commands.has(req.command)) continue;
      const params = rule.pattern.match(req.destination);
      if (params !== undefined) return decide(rule.access, { ...req, params, pattern: false }, `(rule "${rule.pattern.source}")`);
    }
    return decide(this.otherwise, { ...req, params: {}, pattern: false }, undefined);
  }

  /** The rules from `from` on, for a pattern subscription (see the class comment). */
  private walk(sub: DestinationPattern, req: AccessRequest, from: number): Promise<void> | void {
    for (let i = from; i < this.rules.length; i++) {
      const rule = this.rules[i];
      if (!rule.commands.has('SUBSCRIBE')) continue;
      const binding = bind(rule.pattern.segments, sub.shape);
      if (binding === undefined) continue;
      const whole = rule.pattern.contains(sub);
      const named = `rule "${rule.pattern.source}"`;
      if (typeof rule.access === 'function' && binding.unbound.length > 0) {
        refuse(req, `: ${named} decides by {${binding.unbound.join('}, {')}}, which the pattern leaves open`);
      }
      const params: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const [name, value] of Object.entries(binding.params)) params[name] = decodeSegment(value, req.destination);
      const why = whole ? ` (${named})` : `: it can match destinations that ${named} refuses`;
      const verdict = decide(rule.access, { ...req, params }, why);
      if (isPromiseLike(verdict)) return andThen(verdict, () => (whole ? undefined : this.walk(sub, req, i + 1)));
      if (whole) return;
    }
    return decide(this.otherwise, req, ': no rule covers all of it and "otherwise" refuses');
  }
}

function checkAccess(option: string, access: unknown): void {
  if (typeof access !== 'function' && access !== 'all' && access !== 'authenticated' && access !== 'none') {
    throw new StompError('STOMP_ERR_INVALID_OPTION', `Option "${option}" must be 'all', 'authenticated', 'none' or a function; received ${JSON.stringify(access)}`);
  }
}

/** Applies one access decision; `why` ends the refusal's message (which rule, and for patterns why). */
function decide(access: Access, req: AccessRequest, why: string | undefined): Promise<void> | void {
  if (access === 'all') return;
  if (access === 'none') return refuse(req, why);
  if (access === 'authenticated') {
    if (req.user === undefined) refuse(req, why);
    return;
  }
  const verdict = access(req);
  return andThen(verdict, (ok) => {
    if (ok !== true) refuse(req, why);
  });
}

function refuse(req: AccessRequest, why: string | undefined): never {
  const shown = req.destination.length > 200 ? `${req.destination.slice(0, 200)}…` : req.destination;
  throw new StompError('STOMP_ERR_FORBIDDEN', `${req.command} to "${shown}" is not allowed${why === undefined ? '' : why.startsWith(':') ? why : ` ${why}`}`);
}
