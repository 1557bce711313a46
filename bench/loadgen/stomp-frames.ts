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

/** CONNECT as a 1.2 client offering `heartBeat` (e.g. `0,0` or `10000,10000`). */
export function connectFrame(heartBeat: string): string {
  return `CONNECT\naccept-version:1.2,1.1,1.0\nhost:127.0.0.1\nheart-beat:${heartBeat}\n\n\0`;
}

/** SUBSCRIBE with an optional receipt. */
export function subscribeFrame(id: string, destination: string, receipt?: string): string {
  const r = receipt === undefined ? '' : `receipt:${receipt}\n`;
  return `SUBSCRIBE\nid:${id}\ndestination:${destination}\nack:auto\n${r}\n\0`;
}

/** SEND of `body` (ASCII) with an optional receipt. */
export function sendFrame(destination: string, body: string, receipt?: string): string {
  const r = receipt === undefined ? '' : `receipt:${receipt}\n`;
  return `SEND\ndestination:${destination}\ncontent-type:text/plain\ncontent-length:${body.length}\n${r}\n${body}\0`;
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
