/**
 * Retained history in the SQLite store across a `kill -9`: the reference app with env
 * `STORE=<file>` is SIGKILLed in the middle of a stream of receipted SENDs to a retained topic,
 * started again on the same file, and a client resuming from offset 0 with the epoch of the
 * receipts gets every receipted message, in offset order, with `x-stream-recovered:true`.
 */
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import type { IMessage } from '@stomp/stompjs';
import { connect, kill9, killApps, removeBundle, running, startApp, subscribe, tempDir, until } from './support';

let dir: string;

beforeEach(() => {
  dir = tempDir();
});

afterEach(async () => {
  await killApps();
  rmSync(dir, { recursive: true, force: true });
});

afterAll(removeBundle);

describe('retained history in the SQLite store', () => {
  it('survives SIGKILL in the middle of receipted SENDs: every receipted message is replayed under the same epoch', async () => {
    const file = join(dir, 'history.db');
    const app = running(await startApp(file));
    const client = await connect(app.url);
    const receipted = new Map<number, string>();
    let epoch: string | undefined;
    let sent = 0;
    let outstanding = 0;
    // At most 90 messages (the reference app retains the last 100), 10 in flight at a time, paced once 30 are receipted.
    const pump = (): void => {
      while (outstanding < 10 && sent < 90 && client.connected) {
        const body = `m-${sent}`;
        const receipt = `r-${sent++}`;
        outstanding++;
        client.watchForReceipt(receipt, (f) => {
          outstanding--;
          receipted.set(Number(f.headers['x-stream-offset']), body);
          epoch = f.headers['x-stream-epoch'];
          // Past 30, slower: the kill below lands mid-stream however fast the store commits.
          if (receipted.size < 30) pump();
          else setTimeout(pump, 20);
        });
        client.publish({ destination: '/topic/durable', body, headers: { receipt } });
      }
    };
    pump();
    await until('30 receipts', () => receipted.size >= 30);
    await kill9(app);
    expect(receipted.size).toBeLessThan(90); // killed mid-stream, not after it
    expect(epoch).toMatch(/\S/);

    const again = running(await startApp(file));
    const reader = await connect(again.url);
    const inbox: IMessage[] = [];
    const receipt = await subscribe(reader, '/topic/durable', { 'x-stream-offset': 'offset=0', 'x-stream-epoch': epoch! }, inbox);
    expect(receipt['x-stream-recovered']).toBe('true');
    await until('the receipted messages', () => inbox.length >= receipted.size);
    const offsets = inbox.map((m) => Number(m.headers['x-stream-offset']));
    expect(offsets).toEqual(offsets.map((_, i) => i)); // from 0, consecutive
    expect(new Set(inbox.map((m) => m.headers['x-stream-epoch']))).toEqual(new Set([epoch]));
    for (const [offset, body] of receipted) expect(inbox[offset].body).toBe(body);

    // Offsets go on after the restart, under the same epoch.
    const replayed = inbox.length;
    const next = await new Promise<Record<string, string>>((resolve) => {
      reader.watchForReceipt('after', (f) => resolve(f.headers));
      reader.publish({ destination: '/topic/durable', body: 'after', headers: { receipt: 'after' } });
    });
    expect(next['x-stream-epoch']).toBe(epoch);
    expect(Number(next['x-stream-offset'])).toBe(replayed);
  }, 30_000);

  it('gives a new epoch after a restart on memory (no STORE): the resume is reported incomplete', async () => {
    const app = running(await startApp('memory'));
    const client = await connect(app.url);
    const epoch = await new Promise<string>((resolve) => {
      client.watchForReceipt('one', (f) => resolve(f.headers['x-stream-epoch']));
      client.publish({ destination: '/topic/volatile', body: 'one', headers: { receipt: 'one' } });
    });
    await kill9(app);
    const again = running(await startApp('memory'));
    const reader = await connect(again.url);
    const receipt = await subscribe(reader, '/topic/volatile', { 'x-stream-offset': 'offset=0', 'x-stream-epoch': epoch }, []);
    expect(receipt['x-stream-recovered']).toBe('false');
  }, 30_000);
});

describe('reference app queues in the SQLite store (env STORE)', () => {
  it('keeps every receipted SEND to a queue across SIGKILL, without persistent:true, each delivered once after the restart', async () => {
    const file = join(dir, 'queues.db');
    const app = running(await startApp(file));
    const client = await connect(app.url);
    const receipted = new Set<string>();
    let sent = 0;
    let outstanding = 0;
    const pump = (): void => {
      while (outstanding < 10 && sent < 400 && client.connected) {
        const body = `job-${sent}`;
        const receipt = `q-${sent++}`;
        outstanding++;
        client.watchForReceipt(receipt, () => {
          outstanding--;
          receipted.add(body);
          pump();
        });
        client.publish({ destination: '/queue/durable-jobs', body, headers: { receipt } });
      }
    };
    pump();
    await until('50 receipts', () => receipted.size >= 50);
    await kill9(app);
    expect(receipted.size).toBeLessThan(400); // killed mid-stream

    const again = running(await startApp(file));
    const worker = await connect(again.url);
    const inbox: IMessage[] = [];
    await subscribe(worker, '/queue/durable-jobs', { ack: 'client-individual' }, inbox);
    await until('every receipted job', () => [...receipted].every((b) => inbox.some((m) => m.body === b)));
    const bodies = inbox.map((m) => m.body);
    expect(new Set(bodies).size).toBe(bodies.length); // none twice
    for (const m of inbox) m.ack();
  }, 30_000);
});
