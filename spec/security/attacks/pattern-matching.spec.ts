/**
 * Finding 3 of the security issue: matching was exponential in repeated `**`. One SUBSCRIBE
 * to `/topic/x/**\/**\/**\/**\/**\/**\/**\/**\/**\/x` and one SEND to a 30-segment destination stalled
 * the whole process for 3–4 s (twelve `**`: minutes); through RedisBroker, a publish on node
 * B stalled node A, where the pattern subscriber lives.
 *
 * The contract: matching is bounded (linear-ish in segments). The pattern subscription is
 * either refused with an ERROR (a cap) or accepted; either way the SEND gets its RECEIPT at
 * once and a bystander never waits.
 */
import { randomBytes } from 'node:crypto';
import { Bystander } from '../../helpers/bystander';
import { killChildBrokers, removeChildBrokerBundle, startChildBroker, type ChildBroker } from '../../helpers/child-broker';
import { closeClients, header, RawClient } from '../../helpers/clients';
import { describeWith } from '../../cluster/services';
import { expectWithin, log, Measurement } from '../measure';
import { arena, outcome } from './arena';

const REDIS_PORT = 6379;
const describeRedis = describeWith('Redis', REDIS_PORT, 'install and start the Debian package redis-server');

/** `/topic/x/` + `count` × `**` + `/x`. */
function globstars(count: number): string {
  return `/topic/x/${Array(count).fill('**').join('/')}/x`;
}

/** A destination of 30 segments that the pattern almost matches: it does not end in `x`. */
const NEAR_MISS = `/topic/x/${Array(28).fill('a').join('/')}`;
/**
 * A destination of 30 segments that the pattern matches, so that the Redis glob of the pattern
 * (`/topic/x/*\/…\/x`) lets it through to the node holding the subscription.
 */
const MATCHING = `/topic/x/${Array(27).fill('a').join('/')}/x`;
/** How long the SEND's RECEIPT may take, ms. */
const ANSWER_MS = 1000;

/** SUBSCRIBEs to `pattern`: the RECEIPT, or the ERROR that refused it. */
async function subscribe(client: RawClient, pattern: string): Promise<string> {
  client.send(`SUBSCRIBE\nid:p\ndestination:${pattern}\nreceipt:sub\n\n\0`);
  const reply = await client.nextMatching((f) => f.command === 'RECEIPT' || f.command === 'ERROR', 'RECEIPT or ERROR', 10000);
  return reply.command === 'RECEIPT' ? 'subscribed' : `refused: ERROR ${header(reply, 'code')} ${header(reply, 'message')}`;
}

/** SENDs to `destination` and resolves with the time to its RECEIPT, ms; rejects if the connection closes first. */
async function sendTimed(client: RawClient, destination: string): Promise<number> {
  const started = Date.now();
  client.send(`SEND\ndestination:${destination}\nreceipt:send\n\nhello\0`);
  await Promise.race([
    client.nextCommand('RECEIPT', 15000),
    client.closed.then(({ code }) => Promise.reject(new Error(`connection closed (${code}) before the RECEIPT`))),
  ]);
  return Date.now() - started;
}

describe('a SEND against a subscription with repeated **', () => {
  const get = arena();

  it.each([9, 12])('with %i ** and 30 segments, is answered at once and never stalls a bystander', async (count) => {
    const { broker, bystander } = get();
    const subscriber = await RawClient.connected(broker.ws('/stomp'));
    const subscribed = await subscribe(subscriber, globstars(count));
    const publisher = await RawClient.connected(broker.ws('/stomp'));
    const m = await Measurement.begin(`F3 ${count} ** vs 30 segments`, broker, bystander);
    const answered = await outcome(sendTimed(publisher, NEAR_MISS));
    const figures = await m.end();
    log(figures, `pattern ${subscribed}; SEND ${answered instanceof Error ? answered.message : `answered in ${answered} ms`}`);
    expectWithin(figures);
    if (answered instanceof Error) throw answered;
    expect(answered).toBeLessThan(ANSWER_MS);
  }, 40000);
});

describeRedis('a SEND on one RedisBroker node against a subscription with repeated ** on another', () => {
  let a: ChildBroker;
  let b: ChildBroker;
  let bystander: Bystander | undefined;

  beforeEach(async () => {
    const redis = { port: REDIS_PORT, prefix: `attack-${randomBytes(4).toString('hex')}:` };
    [a, b] = await Promise.all([startChildBroker({ redis }), startChildBroker({ redis })]);
    bystander = await Bystander.start(a.http('/stomp'));
  });

  afterEach(async () => {
    await killChildBrokers();
    await bystander?.stop(100);
    bystander = undefined;
    await closeClients();
  });

  afterAll(() => removeChildBrokerBundle());

  it('never stalls the node that holds the pattern (9 ** and a matching 30-segment destination)', async () => {
    const subscriber = await RawClient.connected(a.ws('/stomp'));
    const subscribed = await subscribe(subscriber, globstars(9));
    const publisher = await RawClient.connected(b.ws('/stomp'));
    const m = await Measurement.begin('F3 RedisBroker: 9 ** on node A, SEND on node B', a, bystander);
    const answered = await outcome(sendTimed(publisher, MATCHING));
    const delivered = subscribed === 'subscribed' ? await outcome(subscriber.nextCommand('MESSAGE', 10000)) : undefined;
    const figures = await m.end();
    log(figures, `pattern ${subscribed}; ${delivered instanceof Error ? 'no MESSAGE on A' : 'MESSAGE on A'}; SEND on B ${answered instanceof Error ? answered.message : `answered in ${answered} ms`}; node B ${b.alive ? 'running' : b.describeExit()}`);
    expectWithin(figures);
    if (answered instanceof Error) throw answered;
    if (delivered instanceof Error) throw delivered;
    expect(b.alive).toBe(true);
  }, 40000);
});
