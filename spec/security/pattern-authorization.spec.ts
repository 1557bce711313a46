/**
 * Authorization holds for what a subscription can match, not for its text: a pattern SUBSCRIBE
 * is refused (ERROR STOMP_ERR_FORBIDDEN) unless every destination it can match may be read by
 * the session, and an allowed one receives exactly the messages of the destinations it matches.
 * Checked against real servers with a table of rules × sessions × subscriptions × published
 * destinations, and with random rule sets.
 */
import fc from 'fast-check';
import type { Access, DestinationRule, StompServerConfig } from '../../broker';
import { closeClients, header, RawClient } from '../helpers/clients';
import type { PlainFrame } from '../helpers/frames';
import { closeServers, startServer, type Running } from '../helpers/server';

afterEach(async () => {
  await closeClients();
  await closeServers();
});

/** The grammar read naively (exponential, fine for these sizes), with the captures of the first way it matches. */
function naive(pattern: readonly string[], destination: readonly string[], params: Record<string, string> = {}): Record<string, string> | undefined {
  if (pattern.length === 0) return destination.length === 0 ? params : undefined;
  const [head, ...tail] = pattern;
  if (head === '**') {
    for (let k = 0; k <= destination.length; k++) {
      const found = naive(tail, destination.slice(k), params);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (destination.length === 0) return undefined;
  const variable = /^\{([^/{}]*)\}$/.exec(head);
  if (variable !== null) return naive(tail, destination.slice(1), { ...params, [variable[1]]: destination[0] });
  return head === '*' || head === destination[0] ? naive(tail, destination.slice(1), params) : undefined;
}
const matches = (pattern: string, destination: string): Record<string, string> | undefined => naive(pattern.split('/'), destination.split('/'));

/** May `user` read the exact destination `d`? First matching SUBSCRIBE rule decides, else `otherwise` (the oracle). */
async function mayRead(config: NonNullable<StompServerConfig['authorization']>, user: string | undefined, d: string): Promise<boolean> {
  const rule = (config.rules ?? []).find((r) => (r.commands ?? ['SUBSCRIBE']).includes('SUBSCRIBE') && matches(r.destination, d) !== undefined);
  const access: Access = rule?.access ?? config.otherwise ?? 'all';
  if (access === 'all') return true;
  if (access === 'none') return false;
  if (access === 'authenticated') return user !== undefined;
  const params = rule === undefined ? {} : matches(rule.destination, d)!;
  return (await access({ command: 'SUBSCRIBE', destination: d, params, user, principal: user, sessionId: 'oracle', pattern: false })) === true;
}

interface Attempt {
  readonly destination: string;
  readonly client: RawClient;
  readonly verdict: PlainFrame;
}

/** One connection per SUBSCRIBE (a refusal closes it); resolves with the RECEIPT or the ERROR. */
async function attempt(r: Running, user: string | undefined, destination: string): Promise<Attempt> {
  const client = await RawClient.connected(r.ws('/stomp'), user === undefined ? {} : { login: user });
  client.send(`SUBSCRIBE\nid:s\ndestination:${destination}\nreceipt:sub\n\n\0`);
  const verdict = await client.nextMatching((f) => f.command === 'RECEIPT' || f.command === 'ERROR', 'RECEIPT or ERROR');
  return { destination, client, verdict };
}

/**
 * Publishes every destination, then checks each attempt: refused with STOMP_ERR_FORBIDDEN, or
 * received exactly the published destinations it matches, each readable by the session.
 * Returns the destinations whose SUBSCRIBE was allowed.
 */
async function publishAndCheck(
  r: Running,
  config: NonNullable<StompServerConfig['authorization']>,
  user: string | undefined,
  attempts: readonly Attempt[],
  published: readonly string[],
): Promise<string[]> {
  for (const d of published) await r.server.template.convertAndSend(d, d);
  const allowed: string[] = [];
  for (const { destination, client, verdict } of attempts) {
    if (verdict.command === 'ERROR') {
      expect([user, destination, header(verdict, 'code')]).toEqual([user, destination, 'STOMP_ERR_FORBIDDEN']);
      continue;
    }
    allowed.push(destination);
    // A RECEIPT for a frame sent after the publishes comes after their MESSAGEs.
    client.send('BEGIN\ntransaction:sync\nreceipt:sync\n\n\0');
    await client.nextMatching((f) => f.command === 'RECEIPT' && header(f, 'receipt-id') === 'sync', 'RECEIPT sync');
    const received = client.frames.filter((f) => f.command === 'MESSAGE').map((f) => header(f, 'destination')!);
    for (const d of received) expect([user, destination, d, await mayRead(config, user, d)]).toEqual([user, destination, d, true]);
    expect([user, destination, received]).toEqual([user, destination, published.filter((d) => matches(destination, d) !== undefined)]);
  }
  return allowed;
}

describe('pattern subscriptions against the rules (table)', () => {
  const readable = (room: string, user: string | undefined): boolean => room === 'lobby' || room === `${user}-room`;
  const authorization: NonNullable<StompServerConfig['authorization']> = {
    rules: [
      { destination: '/topic/admin/**', commands: ['SUBSCRIBE'], access: ({ user }) => user === 'root' },
      { destination: '/topic/rooms/{room}', commands: ['SUBSCRIBE'], access: async ({ params, user }) => readable(params.room, user) },
      { destination: '/topic/private/**', access: 'authenticated' },
      { destination: '/topic/*/secret', access: 'none' },
    ],
    otherwise: 'all',
  };
  const subscriptions = [
    '/topic/news',
    '/topic/rooms/lobby',
    '/topic/rooms/alice-room',
    '/topic/**',
    '/topic/*',
    '/topic/*/{x}',
    '/topic/{a}/alice-room',
    '/topic/*/secret',
    '/topic/rooms/*',
    '/topic/rooms/{r}',
    '/topic/rooms/lobby/**',
    '/topic/private/**',
    '/topic/admin/**',
    '/topic/news/**',
    '/topic/**/log',
  ];
  const published = [
    '/topic',
    '/topic/news',
    '/topic/x/secret',
    '/topic/private',
    '/topic/private/payroll',
    '/topic/rooms/lobby',
    '/topic/rooms/alice-room',
    '/topic/rooms/bob-room',
    '/topic/rooms/secret',
    '/topic/rooms/lobby/x',
    '/topic/admin',
    '/topic/admin/log',
    '/topic/a/alice-room',
  ];
  // What each session must be allowed; every other subscription of the list must be refused.
  const expectAllowed: Record<string, string[]> = {
    // `/topic/*` can match /topic/admin, which only root may read.
    anonymous: ['/topic/news', '/topic/rooms/lobby', '/topic/rooms/lobby/**'],
    alice: ['/topic/news', '/topic/rooms/lobby', '/topic/rooms/alice-room', '/topic/rooms/lobby/**', '/topic/private/**'],
    root: ['/topic/news', '/topic/rooms/lobby', '/topic/*', '/topic/rooms/lobby/**', '/topic/private/**', '/topic/admin/**'],
  };

  it.each(Object.keys(expectAllowed))('lets the %s session read through patterns only what it may read', async (who) => {
    const user = who === 'anonymous' ? undefined : who;
    const r = await startServer({ authorization });
    const attempts = await Promise.all(subscriptions.map((d) => attempt(r, user, d)));
    const allowed = await publishAndCheck(r, authorization, user, attempts, published);
    expect(allowed).toEqual(expectAllowed[who]);
  });

  it('names the rule and says why a pattern is refused', async () => {
    const r = await startServer({ authorization });
    const cases: [string | undefined, string, RegExp][] = [
      [undefined, '/topic/**', /rule "\/topic\/admin\/\*\*" refuses/],
      ['root', '/topic/**', /rule "\/topic\/rooms\/\{room\}" decides by \{room\}, which the pattern leaves open/],
      ['alice', '/topic/*/secret', /it can match destinations that rule "\/topic\/admin\/\*\*" refuses/],
      ['root', '/topic/x/secret', /\(rule "\/topic\/\*\/secret"\)/],
      [undefined, '/topic/private/**', /\(rule "\/topic\/private\/\*\*"\)/],
    ];
    for (const [user, destination, why] of cases) {
      const { verdict } = await attempt(r, user, destination);
      expect([destination, header(verdict, 'code')]).toEqual([destination, 'STOMP_ERR_FORBIDDEN']);
      expect(header(verdict, 'message')).toMatch(why);
    }
  });

  it('refuses /topic/** to an anonymous session when only /topic/private/** needs authentication (issue 13)', async () => {
    const config = { rules: [{ destination: '/topic/private/**', access: 'authenticated' as const }] };
    const r = await startServer({ authorization: config });
    const anonymous = await attempt(r, undefined, '/topic/**');
    expect(await publishAndCheck(r, config, undefined, [anonymous], ['/topic/private/payroll', '/topic/news'])).toEqual([]);
    const ann = await attempt(r, 'ann', '/topic/**');
    expect(await publishAndCheck(r, config, 'ann', [ann], ['/topic/private/payroll', '/topic/news'])).toEqual(['/topic/**']);
  });

  it('calls a predicate with pattern: true and the variables the pattern fixes', async () => {
    const seen: unknown[] = [];
    const config: StompServerConfig['authorization'] = {
      rules: [
        {
          destination: '/topic/rooms/{room}/**',
          access: ({ params, pattern, destination }) => {
            seen.push({ params: { ...params }, pattern, destination });
            return params.room === 'lobby';
          },
        },
      ],
    };
    const r = await startServer({ authorization: config });
    expect((await attempt(r, 'ann', '/topic/rooms/lobby/*')).verdict.command).toBe('RECEIPT');
    expect((await attempt(r, 'ann', '/topic/rooms/lobby/news')).verdict.command).toBe('RECEIPT');
    expect((await attempt(r, 'ann', '/topic/rooms/*/news')).verdict.command).toBe('ERROR'); // {room} on a wildcard: not asked
    expect(seen).toEqual([
      { params: { room: 'lobby' }, pattern: true, destination: '/topic/rooms/lobby/*' },
      { params: { room: 'lobby' }, pattern: false, destination: '/topic/rooms/lobby/news' },
    ]);
  });
});

describe('pattern subscriptions against random rule sets (property)', () => {
  const patterns = ['/topic/**', '/topic/a/**', '/topic/*/b', '/topic/{x}', '/topic/{x}/b', '/topic/a/{y}', '/topic/a/b', '/topic/*', '/topic/**/b', '/topic/b/**/c'];
  const onlyA: Access = ({ params, user }) => user !== undefined && Object.values(params).every((v) => v === 'a');
  const accesses: Access[] = ['all', 'none', 'authenticated', onlyA];
  const rule: fc.Arbitrary<DestinationRule> = fc.record({
    destination: fc.constantFrom(...patterns),
    access: fc.constantFrom(...accesses),
    commands: fc.constantFrom<DestinationRule['commands']>(undefined, ['SUBSCRIBE'], ['SEND']),
  });
  const segment = fc.constantFrom('a', 'b', 'c', '*', '**', '{v}');
  const subscription = fc.array(segment, { minLength: 0, maxLength: 3 }).map((segs) => ['/topic', ...segs].join('/'));
  const published: string[] = ['/topic'];
  for (const x of ['a', 'b', 'c']) {
    published.push(`/topic/${x}`);
    for (const y of ['a', 'b', 'c']) {
      published.push(`/topic/${x}/${y}`);
      for (const z of ['a', 'b', 'c']) published.push(`/topic/${x}/${y}/${z}`);
    }
  }

  it('never delivers to a subscription a message from a destination its session may not read', async () => {
    let allowedPatterns = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(rule, { minLength: 1, maxLength: 4 }),
        fc.constantFrom<Access>('all', 'authenticated', 'none'),
        fc.uniqueArray(subscription, { minLength: 1, maxLength: 5 }),
        async (rules, otherwise, subs) => {
          const config = { rules, otherwise };
          const r = await startServer({ authorization: config });
          try {
            for (const user of [undefined, 'u']) {
              const attempts = await Promise.all(subs.map((d) => attempt(r, user, d)));
              const allowed = await publishAndCheck(r, config, user, attempts, published);
              allowedPatterns += allowed.filter((d) => /\*|\{/.test(d)).length;
              refused += subs.length - allowed.length;
            }
          } finally {
            await closeClients();
            await closeServers();
          }
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 25) },
    );
    expect(allowedPatterns).toBeGreaterThan(0); // both outcomes were exercised
    expect(refused).toBeGreaterThan(0);
  }, 120000);
});
