import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { announce, requestedPort } from './peer-host';

/**
 * A retention floor: a bare `ws` server with just enough STOMP and just enough of SPEC §6.1
 * for the retention scenarios (S8, S8-mem, S9) to run end to end before stompbox has
 * retention, so their drivers are proved against a real server and their figures have a floor.
 * Per destination it keeps the last {@link KEEP} MESSAGE buffers; each MESSAGE carries
 * `x-stream-offset` (consecutive per destination) and the process's `x-stream-epoch`; a
 * SUBSCRIBE with `x-stream-offset:offset=<n>` (or `first`) replays from there, and its RECEIPT
 * says `x-stream-recovered`. No validation, no acks, no byte budget: the cost floor of keeping
 * and replaying history, not a broker.
 */
const KEEP = 100;
const EPOCH = randomBytes(6).toString('hex');

interface History {
  /** Offset of `frames[0]`. */
  first: number;
  frames: Buffer[];
  subscribers: Map<WebSocket, string>; // socket → subscription id
}

const histories = new Map<string, History>();
const subsOf = new Map<WebSocket, string[]>();

function historyOf(dest: string): History {
  let h = histories.get(dest);
  if (h === undefined) histories.set(dest, (h = { first: 0, frames: [], subscribers: new Map() }));
  return h;
}

function message(dest: string, subId: string, offset: number, body: Buffer): Buffer {
  const head = `MESSAGE\ndestination:${dest}\nmessage-id:${offset}\nsubscription:${subId}\nx-stream-offset:${offset}\nx-stream-epoch:${EPOCH}\ncontent-length:${body.length}\n\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body, Buffer.alloc(1)]);
}

function headersOf(text: string): [string, Map<string, string>] {
  const headEnd = text.indexOf('\n\n');
  const lines = text.slice(0, headEnd).split('\n');
  const h = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (c > 0 && !h.has(l.slice(0, c))) h.set(l.slice(0, c), l.slice(c + 1));
  }
  return [lines[0], h];
}

function onFrame(ws: WebSocket, data: Buffer): void {
  const text = data.toString('latin1').replace(/^[\r\n]+/, '');
  if (text === '') return;
  const [command, h] = headersOf(text);
  const receipt = h.get('receipt');
  const dest = h.get('destination') ?? '';
  const extra: string[] = [];
  if (command === 'CONNECT' || command === 'STOMP') ws.send('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0');
  else if (command === 'SEND') {
    const hist = historyOf(dest);
    const offset = hist.first + hist.frames.length;
    // The body as the SEND had it: between the blank line and the closing NUL.
    const body = Buffer.from(data.subarray(data.indexOf('\n\n') + 2, data.lastIndexOf(0)));
    hist.frames.push(body);
    if (hist.frames.length > KEEP) {
      hist.frames.shift();
      hist.first++;
    }
    for (const [s, id] of hist.subscribers) s.send(message(dest, id, offset, body));
  } else if (command === 'SUBSCRIBE') {
    const hist = historyOf(dest);
    const id = h.get('id') ?? '';
    const from = h.get('x-stream-offset') ?? 'next';
    const next = hist.first + hist.frames.length;
    let start = next;
    let recovered = true;
    if (from === 'first') start = hist.first;
    else if (from.startsWith('offset=')) {
      start = Number(from.slice(7));
      const epoch = h.get('x-stream-epoch');
      recovered = start >= hist.first && start <= next && (epoch === undefined || epoch === EPOCH);
      if (!recovered) start = hist.first;
    }
    for (let o = start; o < next; o++) ws.send(message(dest, id, o, hist.frames[o - hist.first]));
    hist.subscribers.set(ws, id);
    subsOf.get(ws)?.push(dest);
    if (h.has('x-stream-offset')) extra.push(`x-stream-recovered:${recovered}`);
  }
  if (receipt !== undefined) ws.send(`RECEIPT\nreceipt-id:${receipt}\n${extra.map((e) => `${e}\n`).join('')}\n\0`);
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: requestedPort(), perMessageDeflate: false, clientTracking: false });
wss.on('connection', (ws) => {
  subsOf.set(ws, []);
  ws.on('message', (data) => onFrame(ws, data as Buffer));
  ws.on('error', () => ws.terminate());
  ws.on('close', () => {
    for (const d of subsOf.get(ws) ?? []) histories.get(d)?.subscribers.delete(ws);
    subsOf.delete(ws);
  });
});
wss.once('listening', () =>
  announce('floor-retained', (wss.address() as AddressInfo).port, { supports: ['topic-ws', 'accept', 'retention'], notes: [`keeps ${KEEP} messages per destination`] }),
);
