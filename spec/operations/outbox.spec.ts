import { Outbox } from '../../broker/operations/outbox';

const frame = (text: string): Uint8Array => Buffer.from(text);
const drain = (outbox: Outbox): string[] => {
  const out: string[] = [];
  while (outbox.length > 0) out.push(Buffer.from(outbox.shift()[0]).toString());
  return out;
};

describe('Outbox', () => {
  it('hands frames out oldest first, counting bytes', () => {
    const outbox = new Outbox();
    outbox.push(frame('a1'), false);
    outbox.push(frame('b22'), true);
    expect([outbox.length, outbox.bytes]).toEqual([2, 5]);
    expect(outbox.shift()).toEqual([frame('a1'), false]);
    expect(outbox.shift()).toEqual([frame('b22'), true]);
    expect([outbox.length, outbox.bytes]).toEqual([0, 0]);
  });

  it('drops the oldest droppable frame, never one that must stay and never the newest', () => {
    const outbox = new Outbox();
    outbox.push(frame('RECEIPT-1'), false, false);
    outbox.push(frame('m1'), false);
    outbox.push(frame('RECEIPT-2'), false, false);
    outbox.push(frame('m2'), false);
    outbox.push(frame('m3'), false);
    expect(outbox.fixedBytes).toBe(18);
    expect(outbox.dropOldest()).toBe(true); // m1
    expect(outbox.dropOldest()).toBe(true); // m2
    expect(outbox.dropOldest()).toBe(false); // only frames that stay, and the newest, are left
    expect([outbox.length, outbox.bytes, outbox.fixedBytes]).toEqual([3, 20, 18]);
    expect(drain(outbox)).toEqual(['RECEIPT-1', 'RECEIPT-2', 'm3']);
    expect(outbox.fixedBytes).toBe(0);
  });

  it('keeps order and counts through many drops and compactions', () => {
    const outbox = new Outbox();
    const kept: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const mustStay = i % 10 === 0;
      outbox.push(frame(`${mustStay ? 'R' : 'm'}${i}`), false, !mustStay);
      if (i % 3 === 0) outbox.dropOldest();
      if (i % 7 === 0 && outbox.length > 1) kept.push(Buffer.from(outbox.shift()[0]).toString());
    }
    const rest = drain(outbox);
    const all = [...kept, ...rest];
    const numbers = all.map((t) => Number(t.slice(1)));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b)); // never reordered
    for (let i = 0; i < 1000; i += 10) expect(all).toContain(`R${i}`); // nothing that must stay was dropped
    expect([outbox.length, outbox.bytes, outbox.fixedBytes]).toEqual([0, 0, 0]);
  });
});
