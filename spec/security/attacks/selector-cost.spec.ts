/**
 * Selectors (docs/selectors.md) as a CPU attack: sessions fill their subscription budget with
 * the costliest selectors the limits allow (4 KiB LIKE patterns of alternating `%a`), and a
 * publisher sends messages whose header is 8 KiB of `a`, so every publish evaluates every one
 * of them against the longest value. The contract: matching is bounded in time, so the
 * bystander and the broker's event loop stay within the attack bounds.
 */
import { closeClients, RawClient } from '../../helpers/clients';
import { expectWithin, log, Measurement } from '../measure';
import { arena, pause } from './arena';

const SESSIONS = 4;

describe('costly selectors', () => {
  const get = arena();

  afterEach(() => closeClients());

  it(`${SESSIONS} sessions of 4 KiB LIKE selectors, publishes with an 8 KiB header`, async () => {
    const { broker, bystander } = get();
    const like = (n: number): string => `h LIKE '${'%a'.repeat(2025)}%b${n.toString(36).padStart(3, '0')}%'`; // ~4070 characters, within maxLength 4096, distinct per subscription
    const subscribed: number[] = [];
    /** Subscribes up to `max` times; the count that got a RECEIPT (a refused one closes the session). */
    const fill = async (s: number, max: number): Promise<number> => {
      const client = await RawClient.connected(broker.ws('/stomp'));
      let n = 0;
      for (; n < max; n++) {
        client.send(`SUBSCRIBE\nid:${n}\ndestination:/topic/sel\nselector:${like(s * 1000 + n)}\nreceipt:r${n}\n\n\0`);
        const f = await Promise.race([client.nextMatching((x) => x.command === 'RECEIPT' || x.command === 'ERROR', 'RECEIPT', 5000), client.closed.then(() => undefined)]).catch(() => undefined);
        if (f === undefined || f.command !== 'RECEIPT') break;
      }
      return n;
    };
    for (let s = 0; s < SESSIONS; s++) {
      // As many as maxSubscriptionBytes allows (the one past it ends that session), then a
      // session holding exactly that many: what an attacker keeps.
      const fits = await fill(s, 60);
      subscribed.push(fits === 60 ? fits : await fill(s + 100, fits));
    }
    const publisher = await RawClient.connected(broker.ws('/stomp'));
    const m = await Measurement.begin(`selectors: ${SESSIONS} sessions of 4 KiB LIKE selectors`, broker, bystander);
    const value = `${'a'.repeat(2100)}${'b'.repeat(5900)}`; // every state alive, no match: read to the end
    for (let i = 0; i < 10; i++) {
      publisher.send(`SEND\ndestination:/topic/sel\nh:${value}\n\nx\0`);
      await pause(20);
    }
    publisher.send('SEND\ndestination:/topic/none\nreceipt:done\n\n\0');
    await publisher.nextMatching((f) => f.command === 'RECEIPT', 'RECEIPT', 60000).catch(() => undefined);
    const figures = await m.end();
    log(figures, `subscriptions per session ${subscribed.join(', ')}; publisher got ${publisher.frames.map((f) => f.command).join(' ')}`);
    expectWithin(figures);
  }, 120000);
});
