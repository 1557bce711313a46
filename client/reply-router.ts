import { ClientError } from './errors';
import type { ReceivedMessage } from './message';

interface PendingRequest {
  resolve(body: unknown): void;
  reject(err: ClientError): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * A correlation id of 96 random bits from the Web Crypto CSPRNG (`globalThis.crypto`, in
 * browsers and in Node 20): whoever could put a message on our reply queue still cannot
 * guess the id of a pending request, so cannot answer it in the handler's place.
 */
function correlationId(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(12));
  let id = '';
  for (const b of bytes) id += b.toString(16).padStart(2, '0');
  return id;
}

/**
 * Matches replies on the per-session reply queue to pending requests. A reply settles the
 * request whose `correlation-id` it carries, and nothing else: a reply without one, or with
 * an id we did not issue, is ignored (the server's `ctx.reply()` always echoes the request's
 * id, so only a message that did not come from the handler lacks it). Failures reported on
 * the error queue with a `correlation-id` reject their request.
 */
export class ReplyRouter {
  private readonly pending = new Map<string, PendingRequest>();

  /** Registers a request; returns its correlation id and the promise of its reply. */
  add<T>(timeout: number, destination: string): { id: string; reply: Promise<T> } {
    const id = correlationId();
    const reply = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => this.settle(id, undefined, new ClientError('CLIENT_ERR_TIMEOUT', `No reply from "${destination}" within ${timeout} ms`)),
        timeout,
      );
      this.pending.set(id, { resolve: resolve as (body: unknown) => void, reject, timer });
    });
    return { id, reply };
  }

  /** A message on the reply queue: settles its request; true when it answered one of ours. */
  reply(message: ReceivedMessage): boolean {
    const id = message.headers['correlation-id'];
    if (id === undefined || !this.pending.has(id)) return false;
    this.settle(id, message.body, undefined);
    return true;
  }

  /** A message on the error queue: rejects the request its correlation-id names; returns the error either way. */
  failure(message: ReceivedMessage): ClientError {
    const report = (message.body ?? {}) as { code?: string; message?: string; destination?: string };
    const err = new ClientError('CLIENT_ERR_REQUEST_FAILED', `Handler of "${report.destination ?? '?'}" failed: ${report.message ?? 'no message'}`, {
      stompCode: report.code,
      detail: report.message,
    });
    const id = message.headers['correlation-id'];
    if (id !== undefined) this.settle(id, undefined, err);
    return err;
  }

  /** True when the error queue message answers one of our requests. */
  owns(message: ReceivedMessage): boolean {
    const id = message.headers['correlation-id'];
    return id !== undefined && this.pending.has(id);
  }

  /** Rejects one request (its SEND failed) or every request (the client closed). */
  fail(err: ClientError, id?: string): void {
    for (const key of id === undefined ? [...this.pending.keys()] : [id]) this.settle(key, undefined, err);
  }

  private settle(id: string, body: unknown, err: ClientError | undefined): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (err !== undefined) p.reject(err);
    else p.resolve(body);
  }
}
