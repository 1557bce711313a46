import { BrokerMessage, type HeaderPair } from '../../broker/messaging/broker-message';
import { HistoryLog } from '../../broker/retention/history-log';
import { RecordArena, SEGMENT_BYTES, SPARE_SEGMENTS } from '../../broker/retention/record-arena';

/** Logs sharing one arena, as the store keeps them. */
function logs(count: number): { arena: RecordArena; logs: HistoryLog[] } {
  const all: HistoryLog[] = [];
  const arena = new RecordArena({
    holds: (id, offset, location) => all[id].holds(offset) && all[id].locationAt(offset) === location,
    moved: (id, offset, location) => all[id].moved(offset, location),
  });
  for (let i = 0; i < count; i++) all.push(new HistoryLog(arena, i));
  return { arena, logs: all };
}

/** A deterministic pseudo-random sequence (mulberry32), so a failure repeats. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Kept {
  message: BrokerMessage;
  t: number;
  size: number;
}

function expectSame(log: HistoryLog, offset: number, kept: Kept): void {
  const m = log.message(offset, '/d', [['x-stream-offset', String(offset)]]);
  expect(m.messageId).toBe(kept.message.messageId);
  expect(m.contentType).toBe(kept.message.contentType);
  expect(m.headers).toEqual([...kept.message.headers, ['x-stream-offset', String(offset)]]);
  expect(Buffer.from(m.body).equals(Buffer.from(kept.message.body))).toBe(true);
  expect(m.binary).toBe(kept.message.binary);
  expect(log.timeAt(offset)).toBe(kept.t);
}

describe('HistoryLog (a history kept off the JavaScript heap)', () => {
  it('gives back every record byte for byte: text and binary bodies, content types, headers, ids with any characters', () => {
    const [log] = logs(1).logs;
    const messages = [
      new BrokerMessage('/d', Buffer.from('héllo wörld'), 'text/plain;charset=UTF-8', [['k', 'v'], ['émoji', '🙂']], 'id-ü-1', true),
      new BrokerMessage('/d', Buffer.from([0xff, 0x00, 0xfe, 0x80]), 'application/octet-stream'),
      new BrokerMessage('/d', Buffer.alloc(0), undefined),
      new BrokerMessage('/d', Buffer.alloc(10_000, 'z'), 'text/plain', [['big', 'x'.repeat(3000)]]),
    ];
    messages.forEach((m, i) => expect(log.push(m, i * 10, 100 + i)).toBe(i));
    messages.forEach((m, i) => expectSame(log, i, { message: m, t: i * 10, size: 100 + i }));
    expect(log.message(1, '/d', []).binary).toBe(true);
    expect(log.message(0, '/d', []).binary).toBe(false);
  });

  it('gives back ids, header names and values of every length around the short-string copy (32 characters), ASCII or not', () => {
    const [log] = logs(1).logs;
    const kept: Kept[] = [];
    for (let length = 0; length <= 40; length++) {
      for (const odd of ['', 'é', '🙂', '\u0080', '\u007f']) {
        const text = odd + 'a'.repeat(Math.max(0, length - odd.length));
        const message = new BrokerMessage('/d', Buffer.from(text), undefined, [[`h${text}`, text]], `id${text}`, true);
        kept.push({ message, t: kept.length, size: 1 });
        log.push(message, kept.length - 1, 1);
      }
    }
    kept.forEach((k, i) => expectSame(log, i, k));
  });

  it('names the first 256 content types by number and writes the rest out, giving each back', () => {
    const [log] = logs(1).logs;
    const types = Array.from({ length: 300 }, (_, i) => `application/x-kind-${i}; charset=utf-8`);
    types.push('x'.repeat(200)); // too long to be common: written out
    types.forEach((ct, i) => log.push(new BrokerMessage('/d', Buffer.from(`m${i}`), ct), i, 1));
    types.forEach((ct, i) => expect(log.message(i, '/d', []).contentType).toBe(ct));
  });

  it('answers shift with each record budget size, oldest first, and forgets everything when emptied', () => {
    const [log] = logs(1).logs;
    for (let i = 0; i < 5; i++) log.push(new BrokerMessage('/d', Buffer.from(`m${i}`), undefined), i, 1000 + i);
    expect([0, 1, 2, 3, 4].map(() => log.shift())).toEqual([1000, 1001, 1002, 1003, 1004]);
    expect(log).toMatchObject({ first: 5, next: 5, size: 0 });
    expect(log.push(new BrokerMessage('/d', Buffer.from('again'), undefined), 9, 1)).toBe(5);
    expect(Buffer.from(log.message(5, '/d', []).body).toString()).toBe('again');
  });

  it('matches plain arrays through 30,000 random appends and drops of mixed sizes over 20 logs of one arena (segments given back and emptied, buffers of their own)', () => {
    const rnd = random(20261204);
    const { arena, logs: all } = logs(20);
    const models: Kept[][] = all.map(() => []);
    const firsts = all.map(() => 0);
    let peak = 0;
    for (let step = 0; step < 30_000; step++) {
      // Phases that fill, then drain, so segments are both filled and emptied; log 0 keeps its oldest records long.
      const phase = Math.floor(step / 3000) % 2;
      const k = Math.floor(rnd() * all.length);
      const log = all[k];
      const model = models[k];
      if (rnd() < (phase === 0 ? 0.7 : 0.35) || model.length === 0 || (k === 0 && model.length < 50)) {
        const r = rnd();
        const length = r < 0.8 ? Math.floor(rnd() * 300) : r < 0.97 ? 1000 + Math.floor(rnd() * 10_000) : 20_000 + Math.floor(rnd() * 40_000);
        const body = Buffer.alloc(length, step % 251);
        const headers: HeaderPair[] = rnd() < 0.3 ? [['h', String(step)]] : [];
        const message = new BrokerMessage('/d', body, rnd() < 0.5 ? 'text/plain' : undefined, headers, `id-${step}`);
        const kept = { message, t: step, size: step % 1000 };
        expect(log.push(message, kept.t, kept.size)).toBe(firsts[k] + model.length);
        model.push(kept);
      } else {
        expect(log.shift()).toBe(model.shift()!.size);
        firsts[k]++;
      }
      expect(log.size).toBe(model.length);
      if (step % 97 === 0 && model.length > 0) {
        const i = Math.floor(rnd() * model.length);
        expectSame(log, firsts[k] + i, model[i]);
        expectSame(log, firsts[k], model[0]);
        if (models[0].length > 0) expectSame(all[0], firsts[0], models[0][0]);
      }
      // Never more than 2.25 times what the logs hold in segments, plus two segments (and the one a move is filling) and the spares.
      if (step % 50 === 0) {
        let held = 0;
        for (const m of models) for (const kept of m) if (kept.message.body.byteLength < 16_000) held += kept.message.body.byteLength + 64;
        expect(arena.allocated).toBeLessThanOrEqual(2.25 * held + (3 + SPARE_SEGMENTS) * SEGMENT_BYTES);
      }
      peak = Math.max(peak, arena.allocated);
    }
    models.forEach((model, k) => model.forEach((kept, i) => expectSame(all[k], firsts[k] + i, kept)));
    expect(peak).toBeGreaterThan(4 * SEGMENT_BYTES); // the run did span segments
    for (const [k, log] of all.entries()) while (log.size > 0) expect(log.shift()).toBe(models[k].shift()!.size);
    expect(arena.allocated).toBeLessThanOrEqual((1 + SPARE_SEGMENTS) * SEGMENT_BYTES); // emptied: the newest segment and the spares
  });

  it('reuses the memory of emptied segments for the next ones, keeping at most SPARE_SEGMENTS of it', () => {
    const { arena, logs: [log] } = logs(1);
    const body = Buffer.alloc(1000, 'b');
    const segments = new Set<Buffer>();
    // A history that keeps its newest 10 records while thousands pass: segments fill and empty in turn.
    for (let i = 0; i < 5000; i++) {
      log.push(new BrokerMessage('/d', body, undefined, [], `id-${i}`, true), i, 1);
      if (log.size > 10) log.shift();
      segments.add(arena.data(log.locationAt(log.next - 1)));
      expectSame(log, log.first, { message: new BrokerMessage('/d', body, undefined, [], `id-${log.first}`, true), t: log.first, size: 1 });
    }
    // 5,000 records of about 1 KiB span about 20 segments' worth, in no more distinct buffers than the head and the spares.
    expect(segments.size).toBeLessThanOrEqual(1 + SPARE_SEGMENTS);
    expect(arena.allocated).toBeLessThanOrEqual((1 + SPARE_SEGMENTS) * SEGMENT_BYTES);
  });
});
