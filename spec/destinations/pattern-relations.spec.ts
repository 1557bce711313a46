import fc from 'fast-check';
import { DestinationPattern } from '../../broker/destinations/destination-pattern';
import { bind } from '../../broker/destinations/pattern-relations';

const RUNS = { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) };
const p = (s: string): DestinationPattern => new DestinationPattern(s);

/** The grammar read naively (exponential, fine for tiny inputs): the reference the module must agree with. */
function reference(pattern: readonly string[], destination: readonly string[]): boolean {
  if (pattern.length === 0) return destination.length === 0;
  const [head, ...tail] = pattern;
  if (head === '**') {
    for (let k = 0; k <= destination.length; k++) if (reference(tail, destination.slice(k))) return true;
    return false;
  }
  if (destination.length === 0) return false;
  const one = head === '*' || /^\{[^/{}]*\}$/.test(head);
  return (one || head === destination[0]) && reference(tail, destination.slice(1));
}

/** Every destination of up to `depth` segments over {a, b, c}. */
function allDestinations(depth: number): string[] {
  const out: string[] = [];
  let level = [''];
  for (let d = 1; d <= depth; d++) {
    level = level.flatMap((prefix) => ['a', 'b', 'c'].map((s) => `${prefix}/${s}`));
    out.push(...level);
  }
  return out;
}
const DESTINATIONS = allDestinations(6);

let vars = 0;
const segment = fc.constantFrom('a', 'b', '*', '**', '{v}');
const pattern = fc.array(segment, { minLength: 1, maxLength: 3 }).map((segs) => `/${segs.map((s) => (s === '{v}' ? `{v${vars++}}` : s)).join('/')}`);

describe('matching agrees with the naive reading of the grammar', () => {
  it('for random patterns and every short destination', () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 5 }), (segs) => {
        const source = `/${segs.map((s, i) => (s === '{v}' ? `{v${i}}` : s)).join('/')}`;
        const compiled = p(source);
        for (const d of DESTINATIONS) {
          const expected = reference(source.split('/'), d.split('/'));
          if (compiled.test(d) !== expected) expect([source, d, compiled.test(d)]).toEqual([source, d, expected]);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('overlaps and contains', () => {
  it('overlaps exactly when some destination matches both', () => {
    fc.assert(
      fc.property(pattern, pattern, (a, b) => {
        const [pa, pb] = [p(a), p(b)];
        const witness = DESTINATIONS.find((d) => pa.test(d) && pb.test(d));
        expect([a, b, p(a).overlaps(p(b))]).toEqual([a, b, witness !== undefined]);
      }),
      RUNS,
    );
  });

  it('contains only when every destination of the inner pattern matches the outer', () => {
    let proved = 0;
    fc.assert(
      fc.property(pattern, pattern, (outer, inner) => {
        const [po, pi] = [p(outer), p(inner)];
        if (!po.contains(pi)) return;
        proved++;
        for (const d of DESTINATIONS) if (pi.test(d) && !po.test(d)) expect([outer, inner, d]).toEqual('a counterexample');
      }),
      RUNS,
    );
    expect(proved).toBeGreaterThan(0); // the property was exercised, not vacuous
  });

  it('contains every pattern in itself and in /**', () => {
    fc.assert(
      fc.property(pattern, (a) => {
        expect(p(a).contains(p(a))).toBe(true);
        expect(p('/**').contains(p(a))).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('bind', () => {
  const binding = (rule: string, sub: string) => {
    const b = bind(p(rule).segments, p(sub).shape);
    return b === undefined ? undefined : { params: { ...b.params }, unbound: [...b.unbound] };
  };

  it.each([
    ['/topic/rooms/{room}', '/topic/rooms/*', { params: {}, unbound: ['room'] }],
    ['/topic/rooms/{room}', '/topic/**', { params: {}, unbound: ['room'] }],
    ['/topic/rooms/{room}/**', '/topic/rooms/lobby/**', { params: { room: 'lobby' }, unbound: [] }],
    ['/topic/{a}/alice-room', '/topic/*/alice-room', { params: {}, unbound: ['a'] }],
    ['/topic/{a}/{b}', '/topic/x/*', { params: { a: 'x' }, unbound: ['b'] }],
    ['/topic/rooms/{room}', '/topic/**/lobby', { params: { room: 'lobby' }, unbound: [] }],
    ['/topic/rooms/{room}', '/queue/*', undefined],
  ])('binds %s against %s as %j', (rule, sub, expected) => {
    expect(binding(rule, sub)).toEqual(expected);
  });

  it('binds a variable only to the literal it captures from every destination both match', () => {
    fc.assert(
      fc.property(pattern, pattern, (rule, sub) => {
        const [pr, ps] = [p(rule), p(sub)];
        const b = bind(pr.segments, ps.shape);
        for (const d of DESTINATIONS) {
          if (!ps.test(d)) continue;
          const captured = pr.match(d);
          if (captured === undefined) continue;
          expect(b).toBeDefined();
          for (const [name, value] of Object.entries(b!.params)) expect([rule, sub, d, name, captured[name]]).toEqual([rule, sub, d, name, value]);
        }
      }),
      RUNS,
    );
  });
});
