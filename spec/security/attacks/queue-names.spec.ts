/**
 * Queues (docs/queues.md), attacked from one anonymous session: SENDs to 100,000 distinct
 * made-up queue names, each leaving one small message waiting. The contract: what the queues
 * hold together is bounded by `queueBytes`, and that bound counts each queue's own overhead,
 * not only its messages' bytes; past it the SEND gets ERROR `STOMP_ERR_QUEUE_FULL` (or the
 * oldest messages are dropped), and every other session keeps working.
 */
import { closeClients, header, RawClient } from '../../helpers/clients';
import { expectWithin, log, Measurement } from '../measure';
import { arena, pump } from './arena';

const MiB = 1024 * 1024;

describe('made-up queue names', () => {
  // queueBytes 8 MiB: a broker that counts every queue's overhead holds at most about that.
  const get = arena({ options: { brokerPrefixes: ['/topic', '/queue'], queues: [{ destinations: '/queue/**' }], queueBytes: 8 * MiB } });

  afterEach(() => closeClients());

  it('100,000 queues of one 1-byte message each stay within queueBytes (per-queue overhead counted)', async () => {
    const { broker, bystander } = get();
    const attacker = await RawClient.connected(broker.ws('/stomp'));
    const m = await Measurement.begin('queues: 100,000 made-up queue names', broker, bystander);
    // Ten SENDs per WebSocket message; distinct names of 12 characters.
    const pumped = await pump(attacker.ws, 10_000, (i) => {
      let s = '';
      for (let k = 0; k < 10; k++) s += `SEND\ndestination:/queue/q${(i * 10 + k).toString(36).padStart(10, '0')}\n\nx\0`;
      return s;
    }, { ms: 30000 });
    attacker.send('SEND\ndestination:/queue/last\nreceipt:end\n\nx\0');
    await Promise.race([attacker.nextMatching((f) => f.command === 'RECEIPT' || f.command === 'ERROR', 'RECEIPT or ERROR', 20000).catch(() => undefined), attacker.closed]);
    const figures = await m.end();
    const error = attacker.frames.find((f) => f.command === 'ERROR');
    log(figures, `sent ${pumped.sent * 10} SENDs, ${pumped.stopped}; ERROR ${error === undefined ? 'none' : header(error, 'code')}`);
    // 8 MiB of queueBytes plus slack (measured before the fix: +25.7 MB, the queues themselves uncounted).
    expectWithin(figures, { heapRetainedGrowthMB: 12 });
  }, 90000);
});
