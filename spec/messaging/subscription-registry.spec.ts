import type { Subscriber, Subscription } from '../../broker/messaging/message-broker';
import { isPattern, MATCH_CACHE_LIMIT, SubscriptionRegistry } from '../../broker/messaging/subscription-registry';

const subscriber: Subscriber = { sessionId: 's1', user: undefined, deliver: () => undefined };
let nextId = 0;
const sub = (destination: string): Subscription => ({ id: `sub-${nextId++}`, destination, ack: 'auto', subscriber });

/** Subscriptions visited for `destination`, in visit order (duplicates kept, so double visits show). */
function matches(registry: SubscriptionRegistry, destination: string): Subscription[] {
  const seen: Subscription[] = [];
  registry.forEachMatch(destination, (s) => seen.push(s));
  return seen;
}

/** A registry holding one subscription to `pattern`: does it match `destination`? */
function patternMatches(pattern: string, destination: string): boolean {
  const registry = new SubscriptionRegistry();
  const s = sub(pattern);
  registry.add(s);
  const hit = matches(registry, destination);
  expect(registry.hasMatch(destination)).toBe(hit.length > 0);
  return hit.length === 1 && hit[0] === s;
}

describe('SubscriptionRegistry', () => {
  it('starts empty', () => {
    const registry = new SubscriptionRegistry();
    expect(registry.size).toBe(0);
    expect([...registry.destinations()]).toEqual([]);
    expect(registry.hasMatch('/topic/a')).toBe(false);
    expect(matches(registry, '/topic/a')).toEqual([]);
  });

  describe('exact destinations', () => {
    it('finds every subscription of a destination and nothing else', () => {
      const registry = new SubscriptionRegistry();
      const a1 = sub('/topic/a');
      const a2 = sub('/topic/a');
      const b = sub('/topic/b');
      [a1, a2, b].forEach((s) => registry.add(s));
      expect(matches(registry, '/topic/a')).toEqual([a1, a2]);
      expect(matches(registry, '/topic/b')).toEqual([b]);
      expect(matches(registry, '/topic/c')).toEqual([]);
      expect(matches(registry, '/topic/a/')).toEqual([]);
      expect(matches(registry, '/topic')).toEqual([]);
    });

    it('lists the exact destinations that have subscriptions', () => {
      const registry = new SubscriptionRegistry();
      registry.add(sub('/topic/a'));
      registry.add(sub('/topic/a'));
      registry.add(sub('/topic/b'));
      registry.add(sub('/topic/*'));
      expect([...registry.destinations()].sort()).toEqual(['/topic/a', '/topic/b']);
    });
  });

  describe('patterns', () => {
    it.each([
      ['/topic/*', '/topic/a', true],
      ['/topic/*', '/topic/a/b', false],
      ['/topic/*', '/topic', false],
      ['/topic/*/price', '/topic/acme/price', true],
      ['/topic/*/price', '/topic/acme/volume', false],
      ['/*/a', '/queue/a', true],
      ['/topic/**', '/topic', true],
      ['/topic/**', '/topic/a', true],
      ['/topic/**', '/topic/a/b/c', true],
      ['/topic/**', '/topicx', false],
      ['/topic/**', '/topics/a', false],
      ['/topic/**', '/queue/a', false],
      ['/topic/**/end', '/topic/end', true],
      ['/topic/**/end', '/topic/a/b/end', true],
      ['/topic/**/end', '/topic/a/b/end/more', false],
      ['/**', '/anything/at/all', true],
      ['/user/{name}/message', '/user/zhangsan/message', true],
      ['/user/{name}/message', '/user/lisi/message', true],
      ['/user/{name}/message', '/user/a/b/message', false],
      ['/user/{name}/message', '/user/message', false],
      ['/app/{a}/{b}', '/app/x/y', true],
    ])('%s matches %s: %s', (pattern, destination, expected) => {
      expect(patternMatches(pattern, destination)).toBe(expected);
    });

    it.each([
      ['/topic*', '/topicx'],
      ['/topic*', '/topic/x'],
      ['/topic/a*', '/topic/abc'],
      ['/topic/*a', '/topic/ba'],
      ['/topic/pre{x}', '/topic/prefoo'],
      ['/topic/a**', '/topic/a/b'],
    ])('never matches part of a segment: %s does not match %s', (pattern, destination) => {
      expect(isPattern(pattern)).toBe(false);
      expect(patternMatches(pattern, destination)).toBe(false);
      expect(patternMatches(pattern, pattern)).toBe(true); // a literal destination like any other
    });

    it.each(['/topic/*', '/topic/**', '/user/{id}/q', '**', '/a/{}/b'])('recognises %s as a pattern', (destination) => {
      expect(isPattern(destination)).toBe(true);
    });

    it.each(['/topic/a', '/topic/{a', '/topic/a}', '/topic/{a/b}', ''])('treats %s as a literal destination', (destination) => {
      expect(isPattern(destination)).toBe(false);
    });

    it('visits a subscription reached by several wildcard paths once', () => {
      const registry = new SubscriptionRegistry();
      const twoGlobstars = sub('/a/**/**');
      const around = sub('/**/b/**');
      const star = sub('/a/*/**');
      [twoGlobstars, around, star].forEach((s) => registry.add(s));
      const seen = matches(registry, '/a/b/b/b');
      expect(seen).toHaveLength(3);
      expect(new Set(seen)).toEqual(new Set([twoGlobstars, around, star]));
    });

    it('visits exact and pattern subscriptions of the same destination, each once', () => {
      const registry = new SubscriptionRegistry();
      const exact = sub('/topic/a');
      const one = sub('/topic/*');
      const any = sub('/topic/**');
      const variable = sub('/topic/{t}');
      [exact, one, any, variable].forEach((s) => registry.add(s));
      const seen = matches(registry, '/topic/a');
      expect(seen).toHaveLength(4);
      expect(new Set(seen)).toEqual(new Set([exact, one, any, variable]));
    });
  });

  describe('removal and size', () => {
    it('counts exact and pattern subscriptions', () => {
      const registry = new SubscriptionRegistry();
      registry.add(sub('/topic/a'));
      registry.add(sub('/topic/a'));
      registry.add(sub('/topic/*'));
      registry.add(sub('/topic/**'));
      expect(registry.size).toBe(4);
    });

    it('removes an exact subscription and forgets its destination when it was the last', () => {
      const registry = new SubscriptionRegistry();
      const a1 = sub('/topic/a');
      const a2 = sub('/topic/a');
      registry.add(a1);
      registry.add(a2);
      expect(registry.remove(a1)).toBe(true);
      expect(matches(registry, '/topic/a')).toEqual([a2]);
      expect(registry.remove(a2)).toBe(true);
      expect(registry.size).toBe(0);
      expect(registry.hasMatch('/topic/a')).toBe(false);
      expect([...registry.destinations()]).toEqual([]);
    });

    it('removes a pattern subscription and leaves others on the same pattern', () => {
      const registry = new SubscriptionRegistry();
      const p1 = sub('/topic/{x}');
      const p2 = sub('/topic/*');
      registry.add(p1);
      registry.add(p2);
      expect(registry.remove(p1)).toBe(true);
      expect(matches(registry, '/topic/a')).toEqual([p2]);
      expect(registry.remove(p2)).toBe(true);
      expect(registry.size).toBe(0);
      expect(registry.hasMatch('/topic/a')).toBe(false);
      expect(matches(registry, '/topic/a')).toEqual([]);
    });

    it('answers false when removing a subscription it does not hold', () => {
      const registry = new SubscriptionRegistry();
      registry.add(sub('/topic/a'));
      registry.add(sub('/topic/*'));
      expect(registry.remove(sub('/topic/a'))).toBe(false);
      expect(registry.remove(sub('/topic/*'))).toBe(false);
      expect(registry.remove(sub('/other/**'))).toBe(false);
      expect(registry.remove(sub('/nowhere'))).toBe(false);
      expect(registry.size).toBe(2);
    });

    it('counts a subscription added twice once', () => {
      const registry = new SubscriptionRegistry();
      const exact = sub('/topic/a');
      const pattern = sub('/topic/*');
      for (const s of [exact, exact, pattern, pattern]) registry.add(s);
      expect(registry.size).toBe(2);
      expect(matches(registry, '/topic/a')).toHaveLength(2);
      registry.remove(exact);
      registry.remove(pattern);
      expect(registry.size).toBe(0);
      expect(registry.hasMatch('/topic/a')).toBe(false);
    });
  });

  describe('hasMatch', () => {
    it('sees exact, single-segment, any-depth and variable subscriptions', () => {
      const registry = new SubscriptionRegistry();
      registry.add(sub('/exact'));
      registry.add(sub('/one/*'));
      registry.add(sub('/deep/**'));
      registry.add(sub('/user/{u}/m'));
      expect(registry.hasMatch('/exact')).toBe(true);
      expect(registry.hasMatch('/one/x')).toBe(true);
      expect(registry.hasMatch('/deep')).toBe(true);
      expect(registry.hasMatch('/deep/a/b')).toBe(true);
      expect(registry.hasMatch('/user/zhangsan/m')).toBe(true);
      expect(registry.hasMatch('/one/x/y')).toBe(false);
      expect(registry.hasMatch('/exactly')).toBe(false);
      expect(registry.hasMatch('/user/zhangsan/n')).toBe(false);
    });
  });
});

describe('SubscriptionRegistry pattern trie pruning', () => {
  it('prunes the nodes of removed pattern subscriptions, leaving shared prefixes in place', () => {
    const { SubscriptionRegistry } = require('../../broker/messaging/subscription-registry') as typeof import('../../broker/messaging/subscription-registry');
    const registry = new SubscriptionRegistry();
    const subscriber = { sessionId: 's', user: undefined, deliver: () => undefined };
    const subs = Array.from({ length: 50 }, (_, i) => ({ id: `p${i}`, destination: `/topic/${i}/**`, ack: 'auto' as const, subscriber }));
    const keep = { id: 'keep', destination: '/topic/*/x', ack: 'auto' as const, subscriber };
    registry.add(keep);
    const withKeep = registry.patternNodes;
    for (const s of subs) registry.add(s);
    expect(registry.patternNodes).toBeGreaterThan(withKeep + 50);
    for (const s of subs) expect(registry.remove(s)).toBe(true);
    expect(registry.patternNodes).toBe(withKeep);
    registry.remove(keep);
    expect(registry.patternNodes).toBe(1);
    expect(registry.size).toBe(0);
  });
});

describe('SubscriptionRegistry remembered matches', () => {
  const fc = require('fast-check') as typeof import('fast-check');
  const patterns = ['/topic/*', '/topic/**', '/**', '/topic/{x}/b', '/topic/a/*', '/**/b', '/topic/a', '/topic/a/b', '/queue/*'];
  const destinations = ['/topic/a', '/topic/b', '/topic/a/b', '/topic/c/b', '/queue/x', '/topic', '/other/b'];
  type Step = { op: 'add'; pattern: number } | { op: 'remove'; index: number } | { op: 'match'; destination: number };
  const step: import('fast-check').Arbitrary<Step> = fc.oneof(
    fc.record({ op: fc.constant('add' as const), pattern: fc.nat({ max: patterns.length - 1 }) }),
    fc.record({ op: fc.constant('remove' as const), index: fc.nat({ max: 20 }) }),
    fc.record({ op: fc.constant('match' as const), destination: fc.nat({ max: destinations.length - 1 }) }),
  );
  const sorted = (subs: Subscription[]): string[] => subs.map((s) => s.id).sort();

  it('answers like a registry built afresh after any sequence of adds, removes and matches', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const registry = new SubscriptionRegistry();
        const held: Subscription[] = [];
        for (const s of steps) {
          if (s.op === 'add') {
            const added = sub(patterns[s.pattern]);
            held.push(added);
            registry.add(added);
          } else if (s.op === 'remove') {
            if (held.length === 0) continue;
            const [removed] = held.splice(s.index % held.length, 1);
            expect(registry.remove(removed)).toBe(true);
          } else {
            const fresh = new SubscriptionRegistry();
            held.forEach((h) => fresh.add(h));
            const destination = destinations[s.destination];
            expect(sorted(matches(registry, destination))).toEqual(sorted(matches(fresh, destination)));
            expect(registry.hasMatch(destination)).toBe(fresh.hasMatch(destination));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('sees a pattern subscribed after its destination was matched, and forgets it once removed', () => {
    const registry = new SubscriptionRegistry();
    const early = sub('/topic/*');
    registry.add(early);
    expect(matches(registry, '/topic/a')).toEqual([early]);
    const late = sub('/topic/{name}');
    registry.add(late); // same trie node as `early`: remembered matches stay valid
    const deep = sub('/**/a');
    registry.add(deep); // a new node
    expect(new Set(matches(registry, '/topic/a'))).toEqual(new Set([early, late, deep]));
    registry.remove(deep);
    registry.remove(early);
    expect(matches(registry, '/topic/a')).toEqual([late]);
    registry.remove(late);
    expect(matches(registry, '/topic/a')).toEqual([]);
    expect(registry.hasMatch('/topic/a')).toBe(false);
  });

  it(`stays right for more destinations than it remembers (${MATCH_CACHE_LIMIT})`, () => {
    const registry = new SubscriptionRegistry();
    const star = sub('/topic/*');
    registry.add(star);
    const count = MATCH_CACHE_LIMIT * 3;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < count; i++) expect(matches(registry, `/topic/d${i}`)).toEqual([star]);
    }
    expect(matches(registry, '/queue/d1')).toEqual([]);
    const extra = sub('/topic/d1');
    registry.add(extra);
    expect(matches(registry, '/topic/d1')).toEqual([extra, star]);
  });
});

describe('SubscriptionRegistry bounded walks', () => {
  it('visits each trie node at most once per segment index, however many ** a pattern has', () => {
    const registry = new SubscriptionRegistry();
    const twelve = sub(`/x${'/**/a'.repeat(11)}/**/z`); // 12 **, none adjacent
    const run = sub('/topic/x/**/**/**/**/**/**/**/**/**/x'); // the pattern: one ** once collapsed
    registry.add(twelve);
    registry.add(run);
    const nodes = registry.patternNodes;
    const miss = `/x${'/a'.repeat(63)}`;
    expect(matches(registry, miss)).toEqual([]);
    expect(registry.lastWalkVisits).toBeLessThanOrEqual(nodes * 65);
    expect(matches(registry, `/x${'/a'.repeat(62)}/z`)).toEqual([twelve]);
    expect(matches(registry, `/topic/x${'/y'.repeat(28)}`)).toEqual([]);
    expect(registry.lastWalkVisits).toBeLessThanOrEqual(nodes * 31);
    expect(matches(registry, `/topic/x${'/y'.repeat(27)}/x`)).toEqual([run]);
  });

  it('treats the wildcard segments of a published destination as literals', () => {
    const registry = new SubscriptionRegistry();
    const secret = sub('/topic/private/**');
    const star = sub('/topic/*');
    registry.add(secret);
    registry.add(star);
    expect(matches(registry, '/topic/**')).toEqual([star]); // "**" is one literal segment here
    expect(matches(registry, '/topic/*/x')).toEqual([]);
  });

  it('stores one node per segment of a pattern, sharing the nodes of equal shapes', () => {
    const registry = new SubscriptionRegistry();
    registry.add(sub('/a/**/*'));
    const one = registry.patternNodes;
    registry.add(sub('/a/*/**'));
    registry.add(sub('/a/{x}/**'));
    expect(registry.patternNodes).toBe(one);
    expect(one).toBe(5); // root, '', a, *, **
  });
});
