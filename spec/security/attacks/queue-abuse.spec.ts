/**
 * Queues (docs/queues.md) abused on the wire: pattern SUBSCRIBEs reaching for a queue and its
 * dead-letter queue that the rules forbid, garbage `prefetch-count` / `expires` / `expiration`
 * / `persistent` headers, ACK and NACK storms with forged ids, and a consumer that never acks
 * with prefetch 65535. The contract: authorization holds for what a subscription can match,
 * every bad header gets an ERROR with its code (never STOMP_ERR_INTERNAL) and a close, held
 * bytes stay within `queueBytes`, and the bystander keeps working.
 */
import { closeClients, header, RawClient } from '../../helpers/clients';
import { expectWithin, log, Measurement } from '../measure';
import { arena, pause, pump } from './arena';

const MiB = 1024 * 1024;

function firstOf(client: RawClient, commands: string[], ms = 5000): Promise<string> {
  return Promise.race([
    client.nextMatching((f) => commands.includes(f.command), commands.join('/'), ms).then((f) => (f.command === 'ERROR' ? `ERROR ${header(f, 'code') ?? ''}` : f.command)),
    client.closed.then(() => 'closed'),
  ]).catch(() => 'nothing');
}

describe('queue abuse', () => {
  // `authorization` is a constructor option the fixture passes through (JSON-safe: string access).
  const options = {
    brokerPrefixes: ['/topic', '/queue'],
    queues: [{ destinations: '/queue/**', maxRedeliveries: 0, deadLetter: '/queue/DLQ.{name}' }],
    queueBytes: 16 * MiB,
    authorization: { rules: [{ destination: '/queue/secret', commands: ['SUBSCRIBE'], access: 'none' }, { destination: '/queue/DLQ.secret', commands: ['SUBSCRIBE'], access: 'none' }], otherwise: 'all' },
  };
  const get = arena({ options });

  afterEach(() => closeClients());

  it('no pattern SUBSCRIBE reads a forbidden queue or its dead letters', async () => {
    const { broker, bystander } = get();
    const m = await Measurement.begin('queues: pattern SUBSCRIBEs over forbidden queues', broker, bystander);
    const patterns = ['/queue/*', '/queue/**', '/*/secret', '/**', '/queue/{name}', '/queue/DLQ.secret/**', '/*/*'];
    const answers: Record<string, string> = {};
    const readers: RawClient[] = [];
    for (const p of patterns) {
      const c = await RawClient.connected(broker.ws('/stomp'));
      c.send(`SUBSCRIBE\nid:0\ndestination:${p}\nreceipt:s\n\n\0`);
      answers[p] = await firstOf(c, ['RECEIPT', 'ERROR']);
      readers.push(c);
    }
    for (const d of ['/queue/secret', '/queue/DLQ.secret']) {
      const c = await RawClient.connected(broker.ws('/stomp'));
      c.send(`SUBSCRIBE\nid:0\ndestination:${d}\nreceipt:s\n\n\0`);
      answers[d] = await firstOf(c, ['RECEIPT', 'ERROR']);
    }
    // A consumer allowed to read /queue/secret does not exist; the message waits, then a NACKing
    // consumer cannot exist either: send straight to both names.
    const sender = await RawClient.connected(broker.ws('/stomp'));
    sender.send('SEND\ndestination:/queue/secret\n\nsecret-body\0SEND\ndestination:/queue/DLQ.secret\n\ndead-body\0SEND\ndestination:/topic/x\nreceipt:sent\n\n\0');
    await firstOf(sender, ['RECEIPT', 'ERROR']);
    await pause(300);
    const leaked = readers.flatMap((c, i) => c.frames.filter((f) => f.command === 'MESSAGE' && /secret|dead/.test(f.body.toString())).map(() => patterns[i]));
    const figures = await m.end();
    log(figures, `${Object.entries(answers).map(([k, v]) => `${k}: ${v}`).join(', ')}; leaked to ${leaked.join(', ') || 'none'}`);
    expectWithin(figures);
    expect(leaked).toEqual([]);
    expect(answers['/queue/secret']).toBe('ERROR STOMP_ERR_FORBIDDEN');
    expect(answers['/queue/DLQ.secret']).toBe('ERROR STOMP_ERR_FORBIDDEN');
  }, 60000);

  it('garbage prefetch-count, expires, expiration and persistent headers get an ERROR with a code, never STOMP_ERR_INTERNAL', async () => {
    const { broker, bystander } = get();
    const m = await Measurement.begin('queues: garbage headers', broker, bystander);
    const frames: Record<string, string> = {
      'prefetch-count:-1': 'SUBSCRIBE\nid:0\ndestination:/queue/g\nack:client\nprefetch-count:-1\nreceipt:r\n\n\0',
      'prefetch-count:0': 'SUBSCRIBE\nid:0\ndestination:/queue/g\nack:client\nprefetch-count:0\nreceipt:r\n\n\0',
      'prefetch-count:1e9': 'SUBSCRIBE\nid:0\ndestination:/queue/g\nack:client\nprefetch-count:1e9\nreceipt:r\n\n\0',
      'prefetch-count:99999999999999999999': 'SUBSCRIBE\nid:0\ndestination:/queue/g\nack:client\nprefetch-count:99999999999999999999\nreceipt:r\n\n\0',
      'prefetch-count:abc': 'SUBSCRIBE\nid:0\ndestination:/queue/g\nack:client\nprefetch-count:abc\nreceipt:r\n\n\0',
      'expires:-5': 'SEND\ndestination:/queue/g\nexpires:-5\nreceipt:r\n\nx\0',
      'expires:1e400': 'SEND\ndestination:/queue/g\nexpires:1e400\nreceipt:r\n\nx\0',
      'expires:99999999999999999999999': 'SEND\ndestination:/queue/g\nexpires:99999999999999999999999\nreceipt:r\n\nx\0',
      'expiration:NaN': 'SEND\ndestination:/queue/g\nexpiration:NaN\nreceipt:r\n\nx\0',
      'expiration:-1': 'SEND\ndestination:/queue/g\nexpiration:-1\nreceipt:r\n\nx\0',
      'expiration:huge': `SEND\ndestination:/queue/g\nexpiration:${'9'.repeat(4000)}\nreceipt:r\n\nx\0`,
      'persistent:maybe': 'SEND\ndestination:/queue/g\npersistent:maybe\nreceipt:r\n\nx\0',
      'persistent:true': 'SEND\ndestination:/queue/g\npersistent:true\nreceipt:r\n\nx\0',
    };
    const answers: Record<string, string> = {};
    for (const [name, frame] of Object.entries(frames)) {
      const c = await RawClient.connected(broker.ws('/stomp'));
      c.send(frame);
      answers[name] = await firstOf(c, ['RECEIPT', 'ERROR']);
    }
    const figures = await m.end();
    log(figures, Object.entries(answers).map(([k, v]) => `${k}: ${v}`).join(', '));
    expectWithin(figures);
    for (const [name, a] of Object.entries(answers)) {
      expect([name, a === 'RECEIPT' || (a.startsWith('ERROR STOMP_ERR_') && a !== 'ERROR STOMP_ERR_INTERNAL')]).toEqual([name, true]);
    }
  }, 60000);

  it('ACK and NACK storms with forged ids end the session with STOMP_ERR_UNKNOWN_ACK', async () => {
    const { broker, bystander } = get();
    const m = await Measurement.begin('queues: forged ACK/NACK ids', broker, bystander);
    const outcomes: string[] = [];
    for (const command of ['ACK', 'NACK']) {
      const c = await RawClient.connected(broker.ws('/stomp'));
      c.send('SUBSCRIBE\nid:0\ndestination:/queue/acks\nack:client-individual\n\n\0');
      void pump(c.ws, 2000, (i) => `${command}\nid:forged-${i}-${'x'.repeat(100)}\n\n\0`, { ms: 5000 });
      outcomes.push(await firstOf(c, ['ERROR'], 10000));
    }
    const figures = await m.end();
    log(figures, outcomes.join(', '));
    expectWithin(figures);
    expect(outcomes).toEqual(['ERROR STOMP_ERR_UNKNOWN_ACK', 'ERROR STOMP_ERR_UNKNOWN_ACK']);
  }, 60000);

  it('a consumer that never acks with prefetch 65535 while 100,000 messages of 1 KB arrive: held bytes stay within queueBytes', async () => {
    const { broker, bystander } = get();
    const consumer = await RawClient.connected(broker.ws('/stomp'));
    consumer.send('SUBSCRIBE\nid:0\ndestination:/queue/hoard\nack:client\nprefetch-count:65535\nreceipt:s\n\n\0');
    await firstOf(consumer, ['RECEIPT']);
    const sender = await RawClient.connected(broker.ws('/stomp'));
    const m = await Measurement.begin('queues: prefetch 65535, never acked', broker, bystander);
    const body = 'b'.repeat(1000);
    const pumped = await pump(sender.ws, 10_000, () => `SEND\ndestination:/queue/hoard\n\n${body}\0`.repeat(10), { ms: 30000 });
    sender.send('SEND\ndestination:/topic/x\nreceipt:end\n\n\0');
    await firstOf(sender, ['RECEIPT', 'ERROR'], 20000);
    const figures = await m.end();
    const consumerError = consumer.frames.find((f) => f.command === 'ERROR');
    log(figures, `sent ${pumped.sent * 10} SENDs (${pumped.stopped}); consumer got ${consumer.frames.filter((f) => f.command === 'MESSAGE').length} MESSAGEs, ERROR ${consumerError === undefined ? 'none' : header(consumerError, 'code')}`);
    // 16 MiB of queueBytes, plus the consumer's send buffer and slack.
    expectWithin(figures, { heapRetainedGrowthMB: 40 });
  }, 90000);
});
