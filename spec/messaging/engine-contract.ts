/**
 * The MessageBroker contract (messaging/message-broker.ts) as one suite every engine runs:
 * SimpleBroker (spec/messaging/simple-broker.spec.ts) and RedisBroker on one and on two nodes
 * (spec/cluster/redis-engine-contract.spec.ts). An engine of more than one node gets
 * subscribers on every node and publishes from the first; "reaches nobody" is checked after a
 * marker published later by the same node has arrived, so no sleep decides it.
 */
import { BrokerMessage } from '../../broker/messaging/broker-message';
import type { MessageBroker, Subscriber, Subscription } from '../../broker/messaging/message-broker';

/** The nodes of one engine under test: one broker per node; `close` releases them all. */
export interface EngineNodes {
  readonly nodes: readonly MessageBroker[];
  close(): Promise<void>;
}

/** A session as the broker sees it: records every delivery. */
export class Recorder implements Subscriber {
  private static next = 0;
  readonly sessionId = `rec-${++Recorder.next}`;
  readonly got: { subscription: string; destination: string; body: string }[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(readonly user: string | undefined = undefined) {}

  deliver(subscription: Subscription, message: BrokerMessage): void {
    this.got.push({ subscription: subscription.id, destination: message.destination, body: Buffer.from(message.body).toString() });
    for (const w of [...this.waiters]) w();
  }

  /** Bodies delivered for subscription `id` (all subscriptions when omitted). */
  bodies(id?: string): string[] {
    return this.got.filter((g) => id === undefined || g.subscription === id).map((g) => g.body);
  }

  /** Resolves once a delivery with `body` arrived; rejects after `ms`. */
  received(body: string, ms = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => this.got.some((g) => g.body === body);
      if (check()) return resolve();
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${this.sessionId}: no "${body}" within ${ms} ms; got ${JSON.stringify(this.bodies())}`));
      }, ms);
      const waiter = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve();
      };
      this.waiters.add(waiter);
    });
  }
}

const text = (destination: string, body: string): BrokerMessage => new BrokerMessage(destination, Buffer.from(body), 'text/plain', [], undefined, true);

const sub = (subscriber: Subscriber, id: string, destination: string, user?: string): Subscription => ({ id, destination, ack: 'auto', subscriber, user });

/**
 * Runs the contract against an engine. `make` builds fresh nodes for each test (Redis: under a
 * fresh key prefix); `describeIt` is `describe`, or a guard that skips with a reason.
 */
export function engineContract(describeIt: jest.Describe, name: string, make: () => Promise<EngineNodes>): void {
  describeIt(`${name} keeps the MessageBroker contract`, () => {
    let engine: EngineNodes;
    let nodes: readonly MessageBroker[];
    beforeEach(async () => {
      engine = await make();
      nodes = engine.nodes;
    });
    afterEach(() => engine.close());

    /** The subscription objects each recorder registered, by id: unsubscribe takes the one subscribe got. */
    const registered = new Map<Recorder, Map<string, Subscription>>();

    /** One recorder per node, each with its subscriptions registered (awaited, as a session awaits before its RECEIPT). */
    async function onEveryNode(subscriptions: [id: string, destination: string][], user?: string): Promise<Recorder[]> {
      return Promise.all(
        nodes.map(async (node) => {
          const r = new Recorder(user);
          await node.addSession(r);
          const own = new Map<string, Subscription>();
          registered.set(r, own);
          for (const [id, destination] of subscriptions) {
            const s = sub(r, id, destination, undefined);
            own.set(id, s);
            await node.subscribe(s);
          }
          return r;
        }),
      );
    }

    /** Publishes a marker from the first node and waits until every recorder has it (they all subscribe `/topic/marker`). */
    async function sync(recorders: Recorder[], marker: string): Promise<void> {
      await nodes[0].publish(text('/sync/marker', marker));
      await Promise.all(recorders.map((r) => r.received(marker)));
    }

    it('delivers a publish to every exact subscription on every node, once each, in publish order', async () => {
      const rs = await onEveryNode([['a', '/topic/news'], ['m', '/sync/marker']]);
      for (const body of ['1', '2', '3']) await nodes[0].publish(text('/topic/news', body));
      await sync(rs, 'end');
      for (const r of rs) expect(r.bodies('a')).toEqual(['1', '2', '3']);
    });

    it.each([
      ['/topic/*', ['/topic/a'], ['/topic', '/topic/a/b']],
      ['/topic/p/**', ['/topic/p', '/topic/p/x', '/topic/p/x/y'], ['/topic/px', '/topic/q/x']],
      ['/topic/a/**/z', ['/topic/a/z', '/topic/a/b/z', '/topic/a/b/c/z'], ['/topic/a/z/b', '/topic/a']],
      ['/topic/{room}/chat', ['/topic/lobby/chat'], ['/topic/lobby', '/topic/a/b/chat']],
    ])('matches pattern %s: %p and not %p, on every node', async (pattern, matching, other) => {
      const rs = await onEveryNode([['p', pattern], ['m', '/sync/marker']]);
      for (const d of [...matching, ...other]) await nodes[0].publish(text(d, d));
      await sync(rs, 'end');
      for (const r of rs) expect(r.bodies('p')).toEqual(matching);
    });

    it('delivers once per subscription to a session holding an exact and a pattern subscription', async () => {
      const rs = await onEveryNode([['exact', '/topic/x'], ['any', '/topic/*'], ['m', '/sync/marker']]);
      await nodes[0].publish(text('/topic/x', 'both'));
      await sync(rs, 'end');
      for (const r of rs) expect([r.bodies('exact'), r.bodies('any').filter((b) => b === 'both')]).toEqual([['both'], ['both']]);
    });

    it('stops delivering after unsubscribe, and after removeSession for every subscription the session held', async () => {
      const rs = await onEveryNode([['a', '/topic/a'], ['b', '/topic/b/**'], ['m', '/sync/marker']]);
      const leaving = await onEveryNode([['a', '/topic/a'], ['b', '/topic/b/**']]);
      await Promise.all(nodes.map((node, i) => node.unsubscribe(registered.get(rs[i])!.get('a')!)));
      await Promise.all(nodes.map((node, i) => node.removeSession(leaving[i])));
      await nodes[0].publish(text('/topic/a', 'to a'));
      await nodes[0].publish(text('/topic/b/c', 'to b'));
      await sync(rs, 'end');
      for (const r of rs) expect(r.bodies()).toEqual(['to b', 'end']);
      for (const r of leaving) expect(r.bodies()).toEqual([]);
    });

    it('ignores an unsubscribe of a subscription it does not hold', async () => {
      const r = new Recorder();
      await nodes[0].addSession(r);
      await expect(Promise.resolve(nodes[0].unsubscribe(sub(r, 'never', '/topic/never')))).resolves.toBeUndefined();
    });

    it("reaches a user's principal-based subscriptions on every node through publishToUser only", async () => {
      const rs = await onEveryNode([['m', '/sync/marker']]);
      const users = await Promise.all(nodes.map(async (node) => {
        const u = new Recorder('zhangsan');
        const other = new Recorder('lisi');
        for (const r of [u, other]) {
          await node.addSession(r);
          await node.subscribe(sub(r, 'q', '/user/queue/inbox', r.user));
          await node.subscribe(sub(r, 'm', '/sync/marker'));
        }
        return { u, other };
      }));
      await nodes[0].publishToUser('zhangsan', text('/user/queue/inbox', 'for zhangsan'));
      await nodes[0].publish(text('/user/queue/inbox', 'broadcast'));
      await sync([...rs, ...users.flatMap((x) => [x.u, x.other])], 'end');
      for (const { u, other } of users) {
        expect(u.bodies('q')).toEqual(['for zhangsan']);
        expect(other.bodies('q')).toEqual([]);
      }
    });

    it('counts the sessions of a user across every node, and forgets those removed', async () => {
      const sessions = await Promise.all(nodes.map(async (node) => {
        const r = new Recorder('wangwu');
        await node.addSession(r);
        return r;
      }));
      expect(await nodes[0].userSessionCount('wangwu')).toBe(nodes.length);
      expect(await nodes[nodes.length - 1].userSessionCount('wangwu')).toBe(nodes.length);
      await nodes[0].removeSession(sessions[0]);
      expect(await nodes[nodes.length - 1].userSessionCount('wangwu')).toBe(nodes.length - 1);
      expect(await nodes[0].userSessionCount('nobody')).toBe(0);
    });
  });
}
