import type { Logger } from '../logger';

/** How often an outage that goes on is logged again, ms. */
export const OUTAGE_REMINDER_MS = 30_000;

/**
 * Logs the connection of a cluster engine (Redis, the relay's external broker) going down and
 * coming back, once per outage rather than once per retry: the first failure at `error`, with
 * where it was trying to connect and why it failed; a reminder every
 * {@link OUTAGE_REMINDER_MS} while it lasts; `warn` when it is back. So a node pointed at a
 * dead port says so at once, and a long outage does not flood the log with one line per
 * reconnect attempt.
 */
export class OutageLog {
  private downSince: number | undefined;
  private lastLogged = 0;
  private failures = 0;

  constructor(
    private readonly logger: Logger,
    /** What is unreachable, for the message: `Redis`, `The external STOMP broker`. */
    private readonly what: string,
    /** Fields every line carries (target address, node id). */
    private readonly fields: Readonly<Record<string, unknown>>,
  ) {}

  /** True while an outage is going on. */
  get down(): boolean {
    return this.downSince !== undefined;
  }

  /** A connection attempt failed or an open connection broke. */
  failed(err: unknown): void {
    const now = Date.now();
    this.failures++;
    const reason = err instanceof Error ? err.message : String(err);
    if (this.downSince === undefined) {
      this.downSince = now;
      this.lastLogged = now;
      this.logger.error({ ...this.fields, err: reason }, `${this.what} is unreachable; retrying with backoff`);
    } else if (now - this.lastLogged >= OUTAGE_REMINDER_MS) {
      this.lastLogged = now;
      this.logger.error({ ...this.fields, err: reason, downForMs: now - this.downSince, attempts: this.failures }, `${this.what} is still unreachable`);
    }
  }

  /** The connection is up; ends an outage if one was going on. */
  restored(): void {
    if (this.downSince === undefined) return;
    this.logger.warn({ ...this.fields, downForMs: Date.now() - this.downSince, attempts: this.failures }, `${this.what} is reachable again`);
    this.downSince = undefined;
    this.failures = 0;
  }
}
