import { ClientError } from './errors';
import type { ReceivedMessage } from './message';

interface PendingRequest {
  resolve(body: unknown): void;
  reject(err: ClientError): void;
  timer: ReturnType<typeof setTimeout>;
}

let counter = 0;
const prefix = Math.random().toString(36).slice(2, 10);

/**
 * Matches replies on the per-session reply queue to pending requests. A reply carrying the
 * request's `correlation-id` settles that request; a reply without one settles the oldest
 * pending request (handlers that call `ctx.reply()` without echoing the id, one request at a
 * time). Failures reported on the error queue with a `correlation-id` reject their request.
 */
export class ReplyRouter {
  private readonly pending = new Map<string, PendingRequest>();

  /** Registers a request; returns its correlation id and the promise of its reply. */
  add<T>(timeout: number, destination: string): { id: string; reply: Promise<T> } {
    const id = `${prefix}-${++counter}`;
    const reply = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => this.settle(id, undefined, new ClientError('CLIENT_ERR_TIMEOUT', `No reply from "${destination}" within ${timeout} ms`)),
        timeout,
      );
      this.pending.set(id, { resolve: resolve as (body: unknown) => void, reject, timer });
    });
    return { id, reply };
  }

  /** A message on the reply queue. */
  reply(message: ReceivedMessage): void {
    const id = message.headers['correlation-id'] ?? this.pending.keys().next().value;
    if (id !== undefined) this.settle(id, message.body, undefined);
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
