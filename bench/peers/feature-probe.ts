import { request } from 'node:http';
import WebSocket from 'ws';
import { connectFrame, sendFrame, subscribeFrame, type ExtraHeaders } from '../loadgen/stomp-frames';

/**
 * Wire-level checks of what a broker can do, for the stompbox peer to announce only the
 * capabilities that work (bench/peers/peer-ready.ts): each sends the frames or requests a
 * user would and looks at the answer. A check resolves with undefined when the capability
 * works, or with the reason it does not.
 */

/** A received STOMP frame, parsed just enough for a check. */
interface ProbeFrame {
  command: string;
  headers: Map<string, string>;
}

/** One STOMP session over `ws` for the checks. */
class ProbeSession {
  readonly frames: ProbeFrame[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      for (const raw of data.toString('latin1').split('\0')) {
        const text = raw.replace(/^[\r\n]+/, '');
        if (text === '') continue;
        const [command, ...lines] = text.slice(0, Math.max(0, text.indexOf('\n\n'))).split('\n');
        const headers = new Map<string, string>();
        for (const l of lines) {
          const c = l.indexOf(':');
          if (c > 0 && !headers.has(l.slice(0, c))) headers.set(l.slice(0, c), l.slice(c + 1));
        }
        this.frames.push({ command: command ?? text, headers });
      }
    });
  }

  static async open(url: string): Promise<ProbeSession> {
    const ws = new WebSocket(url, ['v12.stomp']);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const s = new ProbeSession(ws);
    s.send(connectFrame('0,0'));
    await s.next((f) => f.command === 'CONNECTED' || f.command === 'ERROR');
    return s;
  }

  send(frame: string): void {
    this.ws.send(frame);
  }

  /** The first frame (received so far or within `ms`) that `match` accepts. */
  async next(match: (f: ProbeFrame) => boolean, ms = 2000): Promise<ProbeFrame | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = this.frames.find(match);
      if (f !== undefined || Date.now() > deadline) return f;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  count(command: string): number {
    return this.frames.filter((f) => f.command === command).length;
  }

  close(): void {
    this.ws.terminate();
  }
}

const receiptOf = (id: string) => (f: ProbeFrame): boolean => (f.command === 'RECEIPT' && f.headers.get('receipt-id') === id) || f.command === 'ERROR';
const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Retention: the RECEIPT of a SUBSCRIBE with `x-stream-offset:first` carries `x-stream-recovered` (SPEC §6.1). */
export async function probeRetention(url: string): Promise<string | undefined> {
  const s = await ProbeSession.open(url);
  try {
    s.send(subscribeFrame('p', '/topic/bench-probe.retained', 'r', { 'x-stream-offset': 'first' }));
    const r = await s.next(receiptOf('r'));
    if (r?.command !== 'RECEIPT') return `SUBSCRIBE with x-stream-offset answered ${r?.command ?? 'nothing'}`;
    return r.headers.has('x-stream-recovered') ? undefined : 'no x-stream-recovered on the RECEIPT of a SUBSCRIBE with x-stream-offset';
  } finally {
    s.close();
  }
}

/** Queues: two consumers of one `/queue/...` with client-individual acks receive two messages between them, not each. */
export async function probeQueue(url: string, subscribe: ExtraHeaders = {}): Promise<string | undefined> {
  const dest = `/queue/bench-probe.${Date.now().toString(36)}`;
  const a = await ProbeSession.open(url);
  const b = await ProbeSession.open(url);
  try {
    for (const s of [a, b]) {
      s.send(subscribeFrame('p', dest, 'r', { ack: 'client-individual', ...subscribe }));
      if ((await s.next(receiptOf('r')))?.command !== 'RECEIPT') return 'SUBSCRIBE to a /queue destination was not receipted';
    }
    a.send(sendFrame(dest, 'one', 's1'));
    a.send(sendFrame(dest, 'two', 's2'));
    await a.next(receiptOf('s2'));
    await settle(300);
    const got = a.count('MESSAGE') + b.count('MESSAGE');
    return got === 2 ? undefined : `two messages to ${dest} reached the two consumers ${got} times (a queue delivers each once)`;
  } finally {
    a.close();
    b.close();
  }
}

/** Selectors: a subscriber with `selector` receives the matching message and not the other. */
export async function probeSelector(url: string): Promise<string | undefined> {
  const s = await ProbeSession.open(url);
  try {
    s.send(subscribeFrame('p', '/topic/bench-probe.selector', 'r', { selector: "bench-half = 'yes'" }));
    const r = await s.next(receiptOf('r'));
    if (r?.command !== 'RECEIPT') return `SUBSCRIBE with a selector answered ${r?.command ?? 'nothing'}`;
    s.send(sendFrame('/topic/bench-probe.selector', 'no', undefined, { 'bench-half': 'non' }));
    s.send(sendFrame('/topic/bench-probe.selector', 'yes', 's', { 'bench-half': 'yes' }));
    await s.next(receiptOf('s'));
    await settle(200);
    const got = s.frames.filter((f) => f.command === 'MESSAGE').map((f) => f.headers.get('bench-half'));
    return got.length === 1 && got[0] === 'yes' ? undefined : `a selector subscriber received [${got.join(', ')}] of one matching and one other message`;
  } finally {
    s.close();
  }
}

/** Any HTTP answer: status and content type. */
function http(port: number, method: string, path: string, headers: Record<string, string> = {}, body = ''): Promise<{ status: number; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? '') });
      res.destroy();
    });
    req.setTimeout(2000, () => req.destroy(new Error('timed out')));
    req.once('error', reject);
    req.end(body);
  });
}

/** SSE: `GET <path>?destination=...` answers 200 `text/event-stream`. */
export async function probeSse(port: number, path: string): Promise<string | undefined> {
  const r = await http(port, 'GET', `${path}?destination=${encodeURIComponent('/topic/bench-probe.sse')}`, { accept: 'text/event-stream' }).catch((e: Error) => ({ status: 0, type: e.message }));
  return r.status === 200 && r.type.startsWith('text/event-stream') ? undefined : `GET ${path} answered ${r.status} ${r.type}`;
}

/** HTTP publish: `POST <path>?destination=...` with the bearer token answers 202. */
export async function probePublish(port: number, path: string, token: string): Promise<string | undefined> {
  const r = await http(port, 'POST', `${path}?destination=${encodeURIComponent('/topic/bench-probe.publish')}`, { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, 'probe').catch(
    (e: Error) => ({ status: 0, type: e.message }),
  );
  return r.status === 202 ? undefined : `POST ${path} answered ${r.status}`;
}
