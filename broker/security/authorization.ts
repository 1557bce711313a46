import { DestinationPattern } from '../app/destination-pattern';
import { StompError } from '../errors';

/** What a rule decides on. */
export interface AccessRequest {
  readonly command: 'SEND' | 'SUBSCRIBE';
  readonly destination: string;
  /** Destination variables the rule's pattern captured. */
  readonly params: Readonly<Record<string, string>>;
  readonly user: string | undefined;
  readonly principal: unknown;
  readonly sessionId: string;
}

/** `'all'` (anyone), `'authenticated'` (any principal), `'none'`, or a predicate. */
export type Access = 'all' | 'authenticated' | 'none' | ((req: AccessRequest) => boolean | Promise<boolean>);

/** One rule: the first rule whose destination and command match decides (Spring Security's `simpDestMatchers`). */
export interface DestinationRule {
  /** Destination pattern: `*`, `**` and `{var}` as in mappings. */
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
   * receives only their own messages; anonymous sessions are refused. @defaultValue false
   */
  userDestinationsOwnOnly?: boolean;
}

interface CompiledRule {
  readonly pattern: DestinationPattern;
  readonly commands: ReadonlySet<string>;
  readonly access: Access;
}

/** Checks SEND and SUBSCRIBE against the rules; refusals are `STOMP_ERR_FORBIDDEN`. */
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
      return { pattern: new DestinationPattern(rule.destination), commands: new Set(rule.commands ?? ['SEND', 'SUBSCRIBE']), access: rule.access };
    });
    this.otherwise = options.otherwise ?? 'all';
    checkAccess('authorization.otherwise', this.otherwise);
    this.userDestinationsOwnOnly = options.userDestinationsOwnOnly === true;
  }

  /** Resolves when allowed. @throws StompError `STOMP_ERR_FORBIDDEN` naming the command and destination */
  check(req: Omit<AccessRequest, 'params'>): Promise<void> | void {
    for (const rule of this.rules) {
      if (!rule.commands.has(req.command)) continue;
      const params = rule.pattern.match(req.destination);
      if (params !== undefined) return decide(rule.access, { ...req, params }, rule.pattern.source);
    }
    return decide(this.otherwise, { ...req, params: {} }, undefined);
  }
}

function checkAccess(option: string, access: unknown): void {
  if (typeof access !== 'function' && access !== 'all' && access !== 'authenticated' && access !== 'none') {
    throw new StompError('STOMP_ERR_INVALID_OPTION', `Option "${option}" must be 'all', 'authenticated', 'none' or a function; received ${JSON.stringify(access)}`);
  }
}

function decide(access: Access, req: AccessRequest, rule: string | undefined): Promise<void> | void {
  const refuse = (): never => {
    throw new StompError('STOMP_ERR_FORBIDDEN', `${req.command} to "${req.destination}" is not allowed${rule === undefined ? '' : ` (rule "${rule}")`}`);
  };
  if (access === 'all') return;
  if (access === 'none') return refuse();
  if (access === 'authenticated') {
    if (req.user === undefined) refuse();
    return;
  }
  const verdict = access(req);
  if (verdict instanceof Promise) {
    return verdict.then((ok) => {
      if (ok !== true) refuse();
    });
  }
  if (verdict !== true) refuse();
}
