/** STOMP frames as literal strings, and the cheap classification the load generator needs. */

const NUL = 0x00;
const LF = 0x0a; // '\n'
const CR = 0x0d; // '\r'
const M = 0x4d; // 'M' of MESSAGE
const R = 0x52; // 'R' of RECEIPT
const C = 0x43; // 'C' of CONNECTED
const E = 0x45; // 'E' of ERROR

/** Body size of every benchmark message unless a scenario says otherwise. */
export const BODY_BYTES = 128;

/** Extra headers of a frame, written in order as `name:value` lines (benchmark values need no escaping). */
export type ExtraHeaders = Readonly<Record<string, string>>;

const lines = (headers: ExtraHeaders | undefined): string => {
  let out = '';
  for (const name in headers) out += `${name}:${headers[name]}\n`;
  return out;
};

/**
 * CONNECT as a 1.2 client offering `heartBeat` (e.g. `0,0` or `10000,10000`). `connect`
 * replaces `host` and adds headers: RabbitMQ reads `host` as its virtual host (`/`) and wants
 * `login`/`passcode`.
 */
export function connectFrame(heartBeat: string, connect?: ExtraHeaders): string {
  const headers = { host: '127.0.0.1', ...connect };
  return `CONNECT\naccept-version:1.2,1.1,1.0\n${lines(headers)}heart-beat:${heartBeat}\n\n\0`;
}

/** SUBSCRIBE (`ack:auto` unless `extra` says otherwise) with an optional receipt. */
export function subscribeFrame(id: string, destination: string, receipt?: string, extra?: ExtraHeaders): string {
  const r = receipt === undefined ? '' : `receipt:${receipt}\n`;
  const headers = { ack: 'auto', ...extra };
  return `SUBSCRIBE\nid:${id}\ndestination:${destination}\n${lines(headers)}${r}\n\0`;
}

/** SEND of `body` (ASCII) with an optional receipt and extra headers. */
export function sendFrame(destination: string, body: string, receipt?: string, extra?: ExtraHeaders): string {
  const r = receipt === undefined ? '' : `receipt:${receipt}\n`;
  return `SEND\ndestination:${destination}\ncontent-type:text/plain\ncontent-length:${body.length}\n${lines(extra)}${r}\n${body}\0`;
}

/**
 * ACK of one MESSAGE: STOMP 1.2 names it by the MESSAGE's `ack` header alone; 1.1 by
 * `subscription` and `message-id` (sent along when the MESSAGE had no `ack` header).
 */
export function ackFrame(ack: string | undefined, subscription: string, messageId: string): string {
  return ack !== undefined ? `ACK\nid:${ack}\n\n\0` : `ACK\nsubscription:${subscription}\nmessage-id:${messageId}\nid:${messageId}\n\n\0`;
}

/** `name:` as bytes, per header name asked for. */
const KEYS = new Map<string, Buffer>();

/**
 * The value of header `name` in the frame at `buf[start, end)` (its first occurrence, as STOMP
 * 1.2 says repeated headers resolve), or undefined. Looks only in the head, line by line, and
 * compares bytes: a search of the whole received chunk for a string needle cost the load
 * generator more than the broker spent delivering the frame.
 */
export function headerValue(buf: Buffer, start: number, end: number, name: string): string | undefined {
  let key = KEYS.get(name);
  if (key === undefined) KEYS.set(name, (key = Buffer.from(`${name}:`, 'latin1')));
  const n = key.length;
  let line = buf.indexOf(LF, start);
  while (line !== -1 && line < end) {
    const from = line + 1;
    if (from >= end || buf[from] === LF || buf[from] === CR) return undefined;
    let to = buf.indexOf(LF, from);
    if (to === -1 || to > end) to = end;
    if (to - from >= n && buf[from] === key[0]) {
      let i = 1;
      while (i < n && buf[from + i] === key[i]) i++;
      if (i === n) return buf.toString('latin1', from + n, to > from + n && buf[to - 1] === CR ? to - 1 : to);
    }
    line = to;
  }
  return undefined;
}

/** Where the body of the frame starting at `start` begins (after the blank line), or -1. */
export function bodyStart(buf: Buffer, start: number, end: number): number {
  const head = buf.indexOf('\n\n', start);
  return head === -1 || head >= end ? -1 : head + 2;
}

/** A constant body of `BODY_BYTES` bytes. */
export function fixedBody(): string {
  return 'x'.repeat(BODY_BYTES);
}

/** Width of the timestamp at the start of a latency body. */
export const STAMP_WIDTH = 20;

/** A body that starts with `now` (ms, `performance.now()`) in a fixed width, padded to size. */
export function stampedBody(now: number): string {
  return now.toFixed(4).padStart(STAMP_WIDTH, '0') + 'x'.repeat(BODY_BYTES - STAMP_WIDTH);
}

/** Counts of server frames by command, gathered without parsing headers. */
export interface FrameCounts {
  message: number;
  receipt: number;
  connected: number;
  error: number;
}

/** A fresh set of zero counts. */
export function newCounts(): FrameCounts {
  return { message: 0, receipt: 0, connected: 0, error: 0 };
}

/**
 * Classifies the STOMP frames in one WebSocket payload by their first byte. A payload may
 * hold several frames or a lone EOL (a heart-beat); each frame ends with NUL, which never
 * occurs inside the benchmark's text headers and bodies, so `indexOf(0)` finds the ends.
 * `onMessage` receives the offset of each MESSAGE frame for callers that need its body.
 */
export function classifyStomp(
  buf: Buffer,
  start: number,
  end: number,
  counts: FrameCounts,
  onMessage?: (buf: Buffer, frameStart: number, frameEnd: number) => void,
): void {
  let pos = start;
  while (pos < end) {
    let c = buf[pos];
    while ((c === LF || c === CR) && pos < end) c = buf[++pos];
    if (pos >= end) return;
    let nul = buf.indexOf(NUL, pos);
    if (nul === -1 || nul >= end) nul = end;
    if (c === M) {
      counts.message++;
      if (onMessage !== undefined) onMessage(buf, pos, nul);
    } else if (c === R) counts.receipt++;
    else if (c === C) counts.connected++;
    else if (c === E) counts.error++;
    pos = nul + 1;
  }
}
