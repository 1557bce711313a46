import { isPattern, parseSegments, shapeOf, SUBSCRIBE_CONTEXT, type Segment } from '../destinations/segments';
import type { Subscription } from './message-broker';

export { isPattern } from '../destinations/segments';

/** Destinations whose matching pattern nodes are remembered (Spring's DefaultSubscriptionRegistry caches 1024 too). */
export const MATCH_CACHE_LIMIT = 1024;

/**
 * Finds the subscriptions matching a destination without scanning them (Spring's
 * DefaultSubscriptionRegistry scans on a cache miss). Exact destinations sit in a hash map;
 * patterns in a trie of their shapes (`destinations/segments.ts`: `*` and `{var}` are one
 * node, `**` another, `**\/*` and `*\/**` the same path). A publish costs one map lookup plus,
 * when patterns exist, a walk that visits each (trie node, segment index) pair at most once:
 * bounded by the nodes on the destination's path times its segments, never by the number of
 * unrelated subscriptions, and never exponential in `**` (a `**` node reached again at an
 * index it already covered is not walked twice).
 *
 * Memory: a pattern subscription costs one small node per segment (at most
 * `DESTINATION_LIMITS.maxPatternSegments`), with no Map or Set until a node needs one.
 *
 * The trie nodes a destination matched are remembered for the {@link MATCH_CACHE_LIMIT}
 * destinations first published most recently, so a hot destination costs one map lookup
 * instead of splitting it into segments, looking each up in the trie and collecting the nodes
 * in a new Set (S7: 480-680 ns a publish before, 170-215 ns after). A node's subscriptions
 * change in place, so only a new node forgets what was remembered. A pruned node has no subscriptions left, so a remembered
 * one matches nothing and is let go on eviction or at the next new node.
 */
export class SubscriptionRegistry {
  private readonly exact = new Map<string, Set<Subscription>>();
  private readonly root = new PatternNode();
  private readonly matchCache = new Map<string, readonly PatternNode[]>();
  private patternCount = 0;
  private total = 0;
  /** Trie nodes visited by the last walk (cache misses only): tests bound the work with it. */
  lastWalkVisits = 0;

  /** Number of subscriptions held. */
  get size(): number {
    return this.total;
  }

  /** Nodes of the pattern trie, the root included: 1 when no pattern subscription is held. */
  get patternNodes(): number {
    return this.root.nodeCount;
  }

  /** Exact destinations with at least one subscription. */
  destinations(): IterableIterator<string> {
    return this.exact.keys();
  }

  /** Adds a subscription; adding one already held changes nothing. */
  add(subscription: Subscription): void {
    const dest = subscription.destination;
    const pattern = isPattern(dest);
    let set: Set<Subscription> | undefined;
    if (pattern) {
      const segs = shape(dest);
      let node = this.root.descend(segs, false);
      if (node === undefined) {
        node = this.root.descend(segs, true)!;
        this.matchCache.clear(); // a new node may match remembered destinations
      }
      set = node.subs ??= new Set();
    } else {
      set = this.exact.get(dest);
      if (set === undefined) this.exact.set(dest, (set = new Set()));
    }
    if (set.has(subscription)) return; // counted once, so one remove() undoes it
    set.add(subscription);
    if (pattern) this.patternCount++;
    this.total++;
  }

  /** Removes a subscription; true when it was held. */
  remove(subscription: Subscription): boolean {
    const dest = subscription.destination;
    if (isPattern(dest)) {
      if (!this.root.remove(shape(dest), 0, subscription)) return false;
      this.patternCount--;
    } else {
      const set = this.exact.get(dest);
      if (set === undefined || !set.delete(subscription)) return false;
      if (set.size === 0) this.exact.delete(dest);
    }
    this.total--;
    return true;
  }

  /** Calls `visit` once for each subscription matching `destination`. */
  forEachMatch(destination: string, visit: (subscription: Subscription) => void): void {
    const set = this.exact.get(destination);
    if (set !== undefined) for (const sub of set) visit(sub);
    if (this.patternCount === 0) return;
    const nodes = this.patternMatches(destination);
    for (let i = 0; i < nodes.length; i++) {
      const subs = nodes[i].subs;
      if (subs !== undefined) for (const sub of subs) visit(sub);
    }
  }

  /** True when some subscription would match `destination`. */
  hasMatch(destination: string): boolean {
    if (this.exact.has(destination)) return true;
    if (this.patternCount === 0) return false;
    const nodes = this.patternMatches(destination);
    for (let i = 0; i < nodes.length; i++) if ((nodes[i].subs?.size ?? 0) > 0) return true;
    return false;
  }

  /** The trie nodes matching `destination`, each once: remembered, or found by a walk and remembered. */
  private patternMatches(destination: string): readonly PatternNode[] {
    let nodes = this.matchCache.get(destination);
    if (nodes !== undefined) return nodes;
    const walk = new Walk(destination.split('/'));
    walk.visit(this.root, 0);
    this.lastWalkVisits = walk.visits;
    nodes = walk.found;
    // Oldest first out: a Map iterates in insertion order.
    if (this.matchCache.size >= MATCH_CACHE_LIMIT) this.matchCache.delete(this.matchCache.keys().next().value!);
    this.matchCache.set(destination, nodes);
    return nodes;
  }
}


/** A subscription destination as trie keys: its shape (limits checked again, for callers other than the server). */
function shape(destination: string): readonly Segment[] {
  return shapeOf(parseSegments(destination, SUBSCRIBE_CONTEXT));
}

/**
 * One node of the pattern trie. Kept small: a node on a chain holds its one literal child
 * inline, and a Map of children or a Set of subscriptions exists only once needed.
 */
class PatternNode {
  subs: Set<Subscription> | undefined;
  star: PatternNode | undefined;
  globstar: PatternNode | undefined;
  private onlyKey: string | undefined;
  private onlyChild: PatternNode | undefined;
  private children: Map<string, PatternNode> | undefined;

  descend(segs: readonly Segment[], create: boolean): PatternNode | undefined {
    let node: PatternNode | undefined = this;
    for (const seg of segs) {
      node = node.child(seg, create);
      if (node === undefined) return undefined;
    }
    return node;
  }

  /** Removes `sub` from the node at `segs`, pruning nodes left empty; true when it was held. */
  remove(segs: readonly Segment[], i: number, sub: Subscription): boolean {
    if (i === segs.length) {
      const held = this.subs?.delete(sub) ?? false;
      if (this.subs?.size === 0) this.subs = undefined;
      return held;
    }
    const next = this.child(segs[i], false);
    if (next === undefined || !next.remove(segs, i + 1, sub)) return false;
    if (next.empty) this.drop(segs[i]);
    return true;
  }

  /** The literal child for one destination segment. */
  literal(segment: string): PatternNode | undefined {
    if (this.onlyKey === segment) return this.onlyChild;
    return this.children?.get(segment);
  }

  private get empty(): boolean {
    return (this.subs?.size ?? 0) === 0 && this.star === undefined && this.globstar === undefined && this.onlyChild === undefined && this.children === undefined;
  }

  private drop(seg: Segment): void {
    if (seg.kind === 'globstar') this.globstar = undefined;
    else if (seg.kind !== 'literal') this.star = undefined;
    else if (this.onlyKey === seg.text) this.onlyKey = this.onlyChild = undefined;
    else if (this.children !== undefined) {
      this.children.delete(seg.text);
      if (this.children.size === 0) this.children = undefined;
    }
  }

  /** Nodes in this subtree, this one included (tests check that removal prunes). */
  get nodeCount(): number {
    let n = 1 + (this.onlyChild?.nodeCount ?? 0);
    for (const c of this.children?.values() ?? []) n += c.nodeCount;
    return n + (this.star?.nodeCount ?? 0) + (this.globstar?.nodeCount ?? 0);
  }

  private child(seg: Segment, create: boolean): PatternNode | undefined {
    if (seg.kind === 'globstar') return create ? (this.globstar ??= new PatternNode()) : this.globstar;
    if (seg.kind !== 'literal') return create ? (this.star ??= new PatternNode()) : this.star;
    const found = this.literal(seg.text);
    if (found !== undefined || !create) return found;
    const made = new PatternNode();
    if (this.onlyChild === undefined && this.children === undefined) {
      this.onlyKey = seg.text;
      this.onlyChild = made;
    } else {
      this.children ??= new Map();
      this.children.set(seg.text, made);
    }
    return made;
  }
}

/**
 * One walk of the trie for a destination. Each (node, index) pair is visited at most once: a
 * node other than a `**` node is reached only from its parent, so that holds by induction once
 * it holds for `**` nodes, and a `**` node remembers the lowest index it was entered at (it
 * covers every index from there on) and is walked again only below it.
 */
class Walk {
  readonly found: PatternNode[] = [];
  visits = 0;
  private entered: Map<PatternNode, number> | undefined;

  constructor(private readonly segs: readonly string[]) {}

  visit(node: PatternNode, i: number): void {
    this.visits++;
    if (node.globstar !== undefined) this.enter(node.globstar, i);
    const segs = this.segs;
    if (i === segs.length) {
      this.found.push(node);
      return;
    }
    const next = node.literal(segs[i]);
    if (next !== undefined) this.visit(next, i + 1);
    if (node.star !== undefined) this.visit(node.star, i + 1);
  }

  /** A `**` node entered at index i matches segs[i..k) for every k: visit it at each index not yet covered. */
  private enter(globstar: PatternNode, i: number): void {
    const covered = this.entered?.get(globstar) ?? this.segs.length + 1;
    if (i >= covered) return;
    (this.entered ??= new Map()).set(globstar, i);
    for (let k = i; k < covered; k++) this.visit(globstar, k);
  }
}
