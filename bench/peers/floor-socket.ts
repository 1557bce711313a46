import { createHash, randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { headerLength, writeHeader } from '../../broker/transport/ws-frames';
import { announce, requestedPort } from './peer-host';

/**
 * The socket floor of S9: the least a Node process can do to take a storm of WebSocket STOMP
 * reconnects and replay history. No `node:http`, no `ws`: a `net.Server` reads the upgrade
 * request itself, answers 101, and unmasks client frames with no validation beyond the two
 * bounds below. Each MESSAGE is framed once for each subscription id that receives it and the
 * same bytes go to every subscriber; a socket's frames of one turn leave in one write. What is left is what the kernel
 * and Node's sockets cost, and the load generator's own work: a storm this server cannot
 * recover faster than bounds what any broker on the machine can show.
 */
const EPOCH = randomBytes(6).toString('hex');
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC11B29'; // RFC 6455 §1.3
const HEAD_END = '\r\n\r\n';
const LF = 0x0a; // '\n'
const CR = 0x0d; // '\r'
const OP_CLOSE = 0x8;
/** Bounds that keep a stray client from growing the floor without end: an upgrade request's head, one frame. */
const MAX_HEAD = 16 * 1024;
const MAX_FRAME = 1024 * 1024;

interface Message {
  body: Buffer;
  destination: string;
  offset: number;
  /** Framed MESSAGE per subscription id, built on first use. */
  framed: Map<string, Buffer>;
}

interface History {
  messages: Message[];
  subscribers: Map<Peer, string>; // peer → subscription id
}

interface Peer {
  socket: Socket;
  pending: Buffer[] | undefined;
  destinations: string[];
}

const histories = new Map<string, History>();
let dirty: Peer[] = [];

function historyOf(destination: string): History {
  let h = histories.get(destination);
  if (h === undefined) histories.set(destination, (h = { messages: [], subscribers: new Map() }));
  return h;
}

/** `payload` as one final, unmasked text frame. */
function framed(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(headerLength(payload.length) + payload.length);
  payload.copy(out, writeHeader(out, 0, payload.length, false));
  return out;
}

function stomp(text: string): Buffer {
  return framed(Buffer.from(text, 'latin1'));
}

function messageFor(m: Message, subscription: string): Buffer {
  let f = m.framed.get(subscription);
  if (f === undefined) {
    const head = `MESSAGE\ndestination:${m.destination}\nmessage-id:${m.offset}\nsubscription:${subscription}\nx-stream-offset:${m.offset}\nx-stream-epoch:${EPOCH}\ncontent-length:${m.body.length}\n\n`;
    m.framed.set(subscription, (f = framed(Buffer.concat([Buffer.from(head, 'latin1'), m.body, Buffer.alloc(1)]))));
  }
  return f;
}

function flush(): void {
  const list = dirty;
  dirty = [];
  for (const p of list) {
    const frames = p.pending!;
    p.pending = undefined;
    if (!p.socket.destroyed) p.socket.write(frames.length === 1 ? frames[0] : Buffer.concat(frames));
  }
}

function out(p: Peer, frame: Buffer): void {
  if (p.pending !== undefined) {
    p.pending.push(frame);
    return;
  }
  p.pending = [frame];
  if (dirty.length === 0) setImmediate(flush);
  dirty.push(p);
}

function headersOf(payload: Buffer, start: number, end: number): [string, Map<string, string>] {
  const lines = payload.toString('latin1', start, end).split('\n');
  const h = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i].indexOf(':');
    if (c > 0 && !h.has(lines[i].slice(0, c))) h.set(lines[i].slice(0, c), lines[i].slice(c + 1));
  }
  return [lines[0], h];
}

/** Where a SUBSCRIBE's `x-stream-offset` (and `x-stream-epoch`) start the replay in `hist`, and whether that is a complete resume. */
function startOf(hist: History, from: string | undefined, epoch: string | undefined): [number, boolean] {
  const next = hist.messages.length;
  if (from === 'first') return [0, true];
  if (from === undefined || !from.startsWith('offset=')) return [next, true];
  const n = Number(from.slice('offset='.length));
  const whole = Number.isInteger(n) && n >= 0 && n <= next && (epoch === undefined || epoch === EPOCH);
  return whole ? [n, true] : [0, false];
}

const commands: Record<string, (p: Peer, h: Map<string, string>, payload: Buffer, bodyStart: number) => string> = {
  CONNECT: (p) => {
    out(p, stomp('CONNECTED\nversion:1.2\nheart-beat:0,0\nserver:floor-socket\n\n\0'));
    return '';
  },
  SEND: (p, h, payload, bodyStart) => {
    const destination = h.get('destination') ?? '';
    const hist = historyOf(destination);
    const m: Message = { body: Buffer.from(payload.subarray(bodyStart, payload.lastIndexOf(0))), destination, offset: hist.messages.length, framed: new Map() };
    hist.messages.push(m);
    for (const [s, id] of hist.subscribers) out(s, messageFor(m, id));
    return '';
  },
  SUBSCRIBE: (p, h) => {
    const destination = h.get('destination') ?? '';
    const hist = historyOf(destination);
    const id = h.get('id') ?? '';
    const [start, whole] = startOf(hist, h.get('x-stream-offset'), h.get('x-stream-epoch'));
    for (let o = start; o < hist.messages.length; o++) out(p, messageFor(hist.messages[o], id));
    hist.subscribers.set(p, id);
    p.destinations.push(destination);
    return h.has('x-stream-offset') ? `x-stream-recovered:${whole}\n` : '';
  },
  DISCONNECT: (p) => {
    setImmediate(() => p.socket.end());
    return '';
  },
};
commands.STOMP = commands.CONNECT;

function onStomp(p: Peer, payload: Buffer): void {
  let start = 0;
  while (start < payload.length && (payload[start] === LF || payload[start] === CR)) start++;
  if (start === payload.length) return; // heart-beat
  const headEnd = payload.indexOf('\n\n', start);
  if (headEnd === -1) return;
  const [command, h] = headersOf(payload, start, headEnd);
  const extra = commands[command]?.(p, h, payload, headEnd + 2) ?? '';
  const receipt = h.get('receipt');
  if (receipt !== undefined) out(p, stomp(`RECEIPT\nreceipt-id:${receipt}\n${extra}\n\0`));
}

/** Client frames (RFC 6455 §5.2), unmasked; returns the bytes not yet a whole frame. */
function onFrames(p: Peer, buf: Buffer): Buffer | undefined {
  let at = 0;
  while (buf.length - at >= 2) {
    let length = buf[at + 1] & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      if (buf.length - at < 4) break;
      length = buf.readUInt16BE(at + 2);
      offset = at + 4;
    } else if (length === 127) {
      if (buf.length - at < 10) break;
      length = buf.readUInt32BE(at + 2) > 0 ? Number.POSITIVE_INFINITY : buf.readUInt32BE(at + 6);
      offset = at + 10;
    }
    if (length > MAX_FRAME) {
      p.socket.destroy();
      return undefined;
    }
    const mask = offset;
    offset += 4;
    if (buf.length < offset + length) break;
    const opcode = buf[at] & 0x0f;
    const payload = Buffer.from(buf.subarray(offset, offset + length));
    for (let i = 0; i < length; i++) payload[i] ^= buf[mask + (i & 3)];
    at = offset + length;
    if (opcode === OP_CLOSE) {
      p.socket.end();
      return undefined;
    }
    onStomp(p, payload);
  }
  return at === buf.length ? undefined : buf.subarray(at);
}

function session(socket: Socket, rest: Buffer): void {
  const p: Peer = { socket, pending: undefined, destinations: [] };
  let held: Buffer | undefined;
  const onData = (chunk: Buffer): void => {
    held = onFrames(p, held === undefined ? chunk : Buffer.concat([held, chunk]));
  };
  socket.on('data', onData);
  socket.on('close', () => {
    for (const d of p.destinations) histories.get(d)?.subscribers.delete(p);
  });
  if (rest.length > 0) onData(rest);
}

const server = createServer({ noDelay: true }, (socket) => {
  let head: Buffer | undefined;
  socket.on('error', () => socket.destroy());
  const onHead = (chunk: Buffer): void => {
    head = head === undefined ? chunk : Buffer.concat([head, chunk]);
    const end = head.indexOf(HEAD_END);
    if (end === -1) {
      if (head.length > MAX_HEAD) socket.destroy();
      return;
    }
    socket.off('data', onHead);
    const key = /\r\nsec-websocket-key:\s*([^\r]*)/i.exec(head.toString('latin1', 0, end))?.[1] ?? '';
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    session(socket, head.subarray(end + HEAD_END.length));
  };
  socket.on('data', onHead);
});

server.listen(requestedPort(), '127.0.0.1', () =>
  announce('floor-socket', (server.address() as AddressInfo).port, {
    supports: ['topic-ws', 'accept', 'retention'],
    notes: ['no node:http and no ws: its own upgrade and frames over net.Server; keeps every message'],
  }),
);
