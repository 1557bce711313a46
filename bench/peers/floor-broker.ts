import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { writeFrames } from '../../broker/transport/ws-frames';
import { announce, requestedPort } from './peer-host';

/**
 * The cost floor of a STOMP broker on Node + `ws`: it understands just enough STOMP for the
 * benchmark (CONNECT/STOMP → CONNECTED, SUBSCRIBE, UNSUBSCRIBE, SEND, DISCONNECT, receipts on
 * SEND/SUBSCRIBE/DISCONNECT) and, per SEND, encodes one MESSAGE buffer per distinct
 * subscription id at the destination (one in the benchmark: every client names its
 * subscription `sub-0`) and writes that same buffer to every subscriber. No validation, no
 * escaping, no acks: whatever a real broker does on top is what it costs above this.
 */
export interface FloorOptions {
  /**
   * How frames reach the socket. `send`: one `ws.send` each, at once. `corked`: queued per
   * socket and flushed in a `setImmediate`, each socket corked around its `ws.send` calls so
   * they leave in one `writev`. `framed`: queued the same way, then laid out in one buffer per
   * socket with stompbox's own WebSocket framing (broker/transport/ws-frames.ts) and written
   * once, which is how stompbox's plain WebSocket transport writes.
   */
  writes: 'send' | 'corked' | 'framed';
}

type Subscribers = Map<string, Set<WebSocket>>; // subscription id → sockets

interface SocketState {
  subs: [destination: string, id: string][];
  pending: Buffer[] | undefined;
}

const LF = 0x0a; // '\n'
const CR = 0x0d; // '\r'
const HEARTBEAT_MS = 10_000;

/** Starts a floor broker on `port` (0 for any) and resolves with the bound port. */
export function startFloor(port: number, options: FloorOptions): Promise<number> {
  const destinations = new Map<string, Subscribers>();
  const state = new Map<WebSocket, SocketState>();
  const beating = new Set<WebSocket>();
  let messageId = 0;
  let dirty: WebSocket[] = [];

  const flush = (): void => {
    const list = dirty;
    dirty = [];
    for (const ws of list) {
      const st = state.get(ws);
      const frames = st?.pending;
      if (st === undefined || frames === undefined) continue;
      st.pending = undefined;
      // `_socket` is ws's underlying net.Socket; corking it turns the frames' writes into one writev.
      const sock = (ws as unknown as { _socket: Socket })._socket;
      if (options.writes === 'framed') {
        if (ws.readyState === ws.OPEN) writeFrames(sock, frames);
        continue;
      }
      sock.cork();
      for (const f of frames) ws.send(f, { binary: false });
      sock.uncork();
    }
  };

  const write = options.writes !== 'send'
    ? (ws: WebSocket, frame: Buffer): void => {
        const st = state.get(ws);
        if (st === undefined) return;
        if (st.pending === undefined) {
          st.pending = [frame];
          if (dirty.length === 0) setImmediate(flush);
          dirty.push(ws);
        } else st.pending.push(frame);
      }
    : (ws: WebSocket, frame: Buffer): void => ws.send(frame, { binary: false });

  const receipt = (ws: WebSocket, headers: Map<string, string>): void => {
    const r = headers.get('receipt');
    if (r !== undefined) write(ws, Buffer.from(`RECEIPT\nreceipt-id:${r}\n\n\0`));
  };

  const commands: Record<string, (ws: WebSocket, h: Map<string, string>, data: Buffer, bodyStart: number) => void> = {
    CONNECT: (ws, h) => {
      const [, wantBeats] = (h.get('heart-beat') ?? '0,0').split(',').map(Number);
      const sx = wantBeats > 0 ? Math.max(wantBeats, HEARTBEAT_MS) : 0;
      if (sx > 0) beating.add(ws);
      write(ws, Buffer.from(`CONNECTED\nversion:1.2\nheart-beat:${sx},0\nserver:floor\n\n\0`));
    },
    SUBSCRIBE: (ws, h) => {
      const dest = h.get('destination') ?? '';
      const id = h.get('id') ?? '';
      let subs = destinations.get(dest);
      if (subs === undefined) destinations.set(dest, (subs = new Map()));
      let set = subs.get(id);
      if (set === undefined) subs.set(id, (set = new Set()));
      set.add(ws);
      state.get(ws)?.subs.push([dest, id]);
      receipt(ws, h);
    },
    UNSUBSCRIBE: (ws, h) => {
      const st = state.get(ws);
      const id = h.get('id');
      const i = st?.subs.findIndex(([, sid]) => sid === id) ?? -1;
      if (st !== undefined && i >= 0) {
        const [dest] = st.subs.splice(i, 1)[0];
        destinations.get(dest)?.get(id!)?.delete(ws);
      }
      receipt(ws, h);
    },
    SEND: (ws, h, data, bodyStart) => {
      const dest = h.get('destination') ?? '';
      const subs = destinations.get(dest);
      if (subs !== undefined) {
        let end = data.length;
        while (end > bodyStart && data[end - 1] !== 0) end--;
        const body = data.subarray(bodyStart, end - 1);
        const id = (++messageId).toString(36);
        for (const [subId, sockets] of subs) {
          if (sockets.size === 0) continue;
          const head = `MESSAGE\ndestination:${dest}\nmessage-id:${id}\nsubscription:${subId}\ncontent-type:text/plain\ncontent-length:${body.length}\n\n`;
          const frame = Buffer.allocUnsafe(Buffer.byteLength(head) + body.length + 1);
          const n = frame.write(head, 0, 'latin1');
          body.copy(frame, n);
          frame[frame.length - 1] = 0;
          for (const s of sockets) write(s, frame);
        }
      }
      receipt(ws, h);
    },
    DISCONNECT: (ws, h) => {
      receipt(ws, h);
      if (options.writes !== 'send') setImmediate(() => ws.close());
      else ws.close();
    },
  };
  commands.STOMP = commands.CONNECT;

  const onMessage = (ws: WebSocket, data: Buffer): void => {
    let start = 0;
    while (start < data.length && (data[start] === LF || data[start] === CR)) start++;
    if (start === data.length) return; // heart-beat
    const headEnd = data.indexOf('\n\n', start);
    if (headEnd === -1) return;
    const lines = data.toString('latin1', start, headEnd).split('\n');
    const headers = new Map<string, string>();
    for (let i = 1; i < lines.length; i++) {
      const c = lines[i].indexOf(':');
      const key = lines[i].slice(0, c);
      if (c > 0 && !headers.has(key)) headers.set(key, lines[i].slice(c + 1));
    }
    commands[lines[0]]?.(ws, headers, data, headEnd + 2);
  };

  const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, clientTracking: false });
  wss.on('connection', (ws) => {
    state.set(ws, { subs: [], pending: undefined });
    ws.on('message', (data) => onMessage(ws, data as Buffer));
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      const st = state.get(ws);
      for (const [dest, id] of st?.subs ?? []) destinations.get(dest)?.get(id)?.delete(ws);
      state.delete(ws);
      beating.delete(ws);
    });
  });
  setInterval(() => {
    for (const ws of beating) ws.send('\n');
  }, HEARTBEAT_MS).unref();
  return new Promise((resolve, reject) => {
    wss.once('error', reject);
    wss.once('listening', () => resolve((wss.address() as AddressInfo).port));
  });
}

/** A floor peer's process: starts the floor on the requested port and announces it as `name`. */
export function runFloor(name: string, writes: FloorOptions['writes']): void {
  startFloor(requestedPort(), { writes }).then(
    // The floors also stand for a bare `ws` server accepting connections (S9's floor).
    (port) => announce(name, port, { supports: ['topic-ws', 'idle', 'accept'] }),
    (err: unknown) => {
      process.stderr.write(`${name}: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
