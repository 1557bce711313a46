/**
 * Why broker/stomp/ keeps `node:buffer` (CONTRIBUTING.md, Import boundaries): the two hot
 * paths it serves, timed with Buffer and with the plain Web API a Node-free stomp/ would use.
 * Run: `npx tsc -p bench/tsconfig.json && node dist/bench/stomp-buffer.js`.
 */
import { Buffer } from 'node:buffer';
import { encodeMessageFrame } from '../broker/stomp/encoder';

const utf8 = new TextEncoder();
const text = new TextDecoder();
const ROUNDS = 3;
const N = 1_000_000;

const tailHead = 'message-id:m-0123456789\ndestination:/topic/prices/eurusd\ncontent-type:application/json\ncontent-length:120\n\n';
const body = utf8.encode('{"p":1.0845,"s":"EURUSD"}'.padEnd(120, ' '));
const head = Buffer.from('SEND\ndestination:/topic/prices/eurusd\ncontent-type:application/json\nreceipt:r-1\ncontent-length:120\n\n');

/** encodeMessageFrame without Buffer: a zeroed Uint8Array per delivery. */
function encodeWithoutBuffer(subscription: string): Uint8Array {
  const h = `MESSAGE\nsubscription:${subscription}\n${tailHead}`;
  let out = new Uint8Array(h.length + body.length + 1);
  const { read, written } = utf8.encodeInto(h, out);
  let length = written;
  if (read !== h.length || written !== h.length) {
    const bytes = utf8.encode(h);
    length = bytes.length;
    out = new Uint8Array(length + body.length + 1);
    out.set(bytes);
  }
  out.set(body, length);
  return out;
}

function time(fn: (i: number) => { length: number }): number {
  for (let i = 0; i < N / 10; i++) fn(i);
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) sink += fn(i).length;
  const ns = Number(process.hrtime.bigint() - start) / N;
  if (sink === 0) throw new Error('nothing encoded');
  return ns;
}

const cases: [string, (i: number) => { length: number }][] = [
  ['MESSAGE encode, Buffer.allocUnsafe (stomp/encoder.ts)', (i) => encodeMessageFrame(tailHead, body, `sub-${i & 7}`, undefined, '1.2')],
  ['MESSAGE encode, new Uint8Array', (i) => encodeWithoutBuffer(`sub-${i & 7}`)],
  ['frame head decode, Buffer#toString (stomp/decoder.ts)', () => head.toString('utf8', 0, head.length)],
  ['frame head decode, TextDecoder', () => text.decode(head.subarray(0, head.length))],
];
const best = new Map<string, number>();
for (let round = 0; round < ROUNDS; round++) for (const [name, fn] of cases) best.set(name, Math.min(best.get(name) ?? Infinity, time(fn)));
for (const [name, ns] of best) console.log(`${name.padEnd(56)} ${ns.toFixed(0).padStart(5)} ns`);
