import type { Segment } from './segments';

/**
 * How two patterns relate, decided on their segments (no destination is enumerated). Each
 * question is a walk over pairs of positions (i in `a`, j in `b`), each pair visited once, so
 * it costs at most (|a| + 1) × (|b| + 1) steps: 33 × 33 with the segment limit.
 *
 * The moves from (i, j), shared by every question:
 * - a `**` of either side ends (skip it), or absorbs the other side's next segment (any kind);
 * - two one-segment matchers (literal, `*`, `{var}`) meet when they can be the same segment:
 *   equal literals, or a wildcard against anything.
 */

/** True when some destination matches both `a` and `b`. */
export function overlaps(a: readonly Segment[], b: readonly Segment[]): boolean {
  return new Walk(a, b).reachesEnd(0, 0);
}

/**
 * True when every destination `inner` matches is also matched by `outer`. Sound, not
 * complete: it looks for a way to read `inner`'s segments as instances of `outer`'s (an
 * `outer` literal covers an equal literal; `*` covers any one-segment matcher; `**` covers
 * any run of `inner`'s segments, `**` included), so a true answer is always right, and a
 * few equivalent forms answer false (`/*\/**` does contain `/**\/x`; this says no). Compare
 * shapes (`shapeOf`) so that `**\/*` and `*\/**` read the same.
 */
export function contains(outer: readonly Segment[], inner: readonly Segment[]): boolean {
  const n = outer.length;
  const m = inner.length;
  const memo = new Int8Array((n + 1) * (m + 1));
  const go = (i: number, j: number): boolean => {
    const key = i * (m + 1) + j;
    if (memo[key] !== 0) return memo[key] === 1;
    let ok: boolean;
    if (i === n) ok = j === m;
    else if (outer[i].kind === 'globstar') ok = go(i + 1, j) || (j < m && go(i, j + 1));
    else if (j === m || inner[j].kind === 'globstar') ok = false;
    else if (outer[i].kind === 'literal') ok = inner[j].kind === 'literal' && inner[j].text === outer[i].text && go(i + 1, j + 1);
    else ok = go(i + 1, j + 1);
    memo[key] = ok ? 1 : 2;
    return ok;
  };
  return go(0, 0);
}

/** What a rule's variables are bound to by a pattern subscription that overlaps the rule. */
export interface Binding {
  /** Variables that meet the same literal segment of the subscription wherever they overlap (raw, not decoded). */
  readonly params: Record<string, string>;
  /** Variables that meet a wildcard of the subscription, or different literals: the rule cannot judge them. */
  readonly unbound: readonly string[];
}

/**
 * The rule's variables as an overlapping subscription binds them, over every way the two can
 * match one destination; undefined when they do not overlap. `rule` as parsed (variables
 * named), `subscription` as parsed or as its shape.
 */
export function bind(rule: readonly Segment[], subscription: readonly Segment[]): Binding | undefined {
  const walk = new Walk(rule, subscription);
  if (!walk.reachesEnd(0, 0)) return undefined;
  const seen = walk.reachableFromStart();
  const values = new Map<string, string | null>(); // null: a wildcard, or two literals
  const note = (name: string, value: string | null): void => {
    const had = values.get(name);
    values.set(name, had === undefined || had === value ? value : null);
  };
  for (let i = 0; i < rule.length; i++) {
    if (rule[i].kind !== 'variable') continue;
    for (let j = 0; j <= subscription.length; j++) {
      if (!seen[walk.key(i, j)] || j === subscription.length) continue;
      const s = subscription[j];
      if (s.kind === 'globstar') {
        if (walk.reachesEnd(i + 1, j)) note(rule[i].text, null); // the subscription's ** absorbs the variable
      } else if (walk.meet(i, j) && walk.reachesEnd(i + 1, j + 1)) {
        note(rule[i].text, s.kind === 'literal' ? s.text : null);
      }
    }
  }
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  const unbound: string[] = [];
  for (const [name, value] of values) {
    if (value === null) unbound.push(name);
    else params[name] = value;
  }
  return { params, unbound };
}

/** The walk over position pairs of `a` and `b`, memoized. */
class Walk {
  private readonly width: number;
  private readonly memo: Int8Array;

  constructor(
    private readonly a: readonly Segment[],
    private readonly b: readonly Segment[],
  ) {
    this.width = b.length + 1;
    this.memo = new Int8Array((a.length + 1) * this.width);
  }

  key(i: number, j: number): number {
    return i * this.width + j;
  }

  /** True when a[i] and b[j] are one-segment matchers that can be the same segment. */
  meet(i: number, j: number): boolean {
    const x = this.a[i];
    const y = this.b[j];
    if (x.kind === 'globstar' || y.kind === 'globstar') return false;
    return x.kind !== 'literal' || y.kind !== 'literal' || x.text === y.text;
  }

  /** True when a[i..] and b[j..] match some common rest of a destination. */
  reachesEnd(i: number, j: number): boolean {
    const key = this.key(i, j);
    if (this.memo[key] !== 0) return this.memo[key] === 1;
    let ok = i === this.a.length && j === this.b.length;
    this.forEachMove(i, j, (ni, nj) => {
      if (!ok && this.reachesEnd(ni, nj)) ok = true;
    });
    this.memo[key] = ok ? 1 : 2;
    return ok;
  }

  /** Which position pairs some common destination prefix leads to, from (0, 0). */
  reachableFromStart(): Uint8Array {
    const seen = new Uint8Array(this.memo.length);
    seen[0] = 1;
    // Every move increases i or j, so this order sees a pair after all pairs that lead to it.
    for (let i = 0; i <= this.a.length; i++) {
      for (let j = 0; j <= this.b.length; j++) {
        if (seen[this.key(i, j)] === 1) this.forEachMove(i, j, (ni, nj) => void (seen[this.key(ni, nj)] = 1));
      }
    }
    return seen;
  }

  private forEachMove(i: number, j: number, to: (i: number, j: number) => void): void {
    const { a, b } = this;
    const moreA = i < a.length;
    const moreB = j < b.length;
    if (moreA && a[i].kind === 'globstar') {
      to(i + 1, j);
      if (moreB) to(i, j + 1);
    }
    if (moreB && b[j].kind === 'globstar') {
      to(i, j + 1);
      if (moreA) to(i + 1, j);
    }
    if (moreA && moreB && this.meet(i, j)) to(i + 1, j + 1);
  }
}
