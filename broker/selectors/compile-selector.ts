import type { SelectorExpression } from './selector-ast';
import { compileExpression, TRUE, type Evaluate, type SelectorMessage } from './selector-evaluator';
import { type SelectorLimits, resolveSelectorLimits } from './selector-limits';
import { parseSelector } from './selector-parser';

/** The three-valued result of a selector on one message; only `TRUE` delivers. */
export type SelectorTruth = 'TRUE' | 'FALSE' | 'UNKNOWN';

const NAMES: readonly SelectorTruth[] = ['FALSE', 'TRUE', 'UNKNOWN'];

/**
 * A selector compiled once (at SUBSCRIBE), matched against every message offered to the
 * subscription. Matching allocates nothing and costs at most one step per node of the
 * selector, plus the LIKE patterns' linear scans of the headers they read.
 */
export class CompiledSelector {
  /** The header names the selector reads, each once, in order of first use (for an index by header). */
  readonly headerNames: readonly string[];
  /**
   * Characters of its LIKE patterns: what a match may cost besides one step per node (each
   * value character costs a word operation per 32 pattern characters), so that a session's
   * selectors can be weighed by it (see `LIKE_WEIGHT` in session/commands.ts).
   */
  readonly likeChars: number;
  private readonly run: Evaluate;

  constructor(
    /** The selector as the client wrote it. */
    readonly text: string,
    /** Its tree. */
    readonly ast: SelectorExpression,
  ) {
    this.headerNames = Object.freeze(headerNamesOf(ast));
    this.likeChars = likeCharsOf(ast);
    this.run = compileExpression(ast);
    Object.freeze(this);
  }

  /** True when the selector is TRUE for `message` (FALSE and UNKNOWN do not match, JMS §3.8.1). */
  matches(message: SelectorMessage): boolean {
    return this.run(message) === TRUE;
  }

  /** The selector's value for `message`, UNKNOWN included. */
  evaluate(message: SelectorMessage): SelectorTruth {
    return NAMES[this.run(message)];
  }
}

/**
 * Compiles a SUBSCRIBE `selector` header: a JMS 1.1 message selector over the message's
 * headers (README "Selectors": syntax, semantics, limits). An empty or blank selector
 * matches every message.
 *
 * @throws StompError `STOMP_ERR_INVALID_SELECTOR`, saying what was expected at which offset (`Selector: expected AND, OR or ")" at offset 17, found end`), or that a limit was passed
 * @throws StompError `STOMP_ERR_INVALID_OPTION` when `limits` are invalid
 * @example
 * const s = compileSelector("x-priority > 5 AND region IN ('eu', 'us')");
 * s.matches(message); // reads message.headers
 */
export function compileSelector(text: string, limits?: Partial<SelectorLimits>): CompiledSelector {
  const ast = parseSelector(text, resolveSelectorLimits(limits));
  return new CompiledSelector(text, ast);
}

/** Every header name `e` reads, once each, in order of first use. */
/** Characters of every LIKE pattern in `e`. */
function likeCharsOf(e: SelectorExpression): number {
  switch (e.kind) {
    case 'and':
    case 'or':
      return e.items.reduce((n, x) => n + likeCharsOf(x), 0);
    case 'not':
      return likeCharsOf(e.operand);
    case 'like':
      return e.pattern.length;
    default:
      return 0;
  }
}

export function headerNamesOf(e: SelectorExpression): string[] {
  const names = new Set<string>();
  const visit = (x: SelectorExpression): void => {
    switch (x.kind) {
      case 'and':
      case 'or':
        x.items.forEach(visit);
        return;
      case 'not':
        visit(x.operand);
        return;
      case 'comparison':
        if (x.left.kind === 'header') names.add(x.left.name);
        if (x.right.kind === 'header') names.add(x.right.name);
        return;
      case 'between':
        for (const op of [x.value, x.low, x.high]) if (op.kind === 'header') names.add(op.name);
        return;
      case 'in':
      case 'like':
      case 'null-test':
        names.add(x.header);
        return;
      case 'constant':
        return;
    }
  };
  visit(e);
  return [...names];
}
