/**
 * Helpers of the hardening specs: a capturing pino-compatible logger, and a flood that
 * publishes to a paused client while watching how much the broker holds for it.
 */
import type { Logger } from '../../broker';
import { BrokerMessage } from '../../broker';
import type { StompServer } from '../../broker';
import type { Session } from '../../broker/session/session';
import type { RawClient } from '../helpers/clients';
import { header } from '../helpers/clients';

/** One log call as the broker made it. */
export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: object;
  readonly msg: string | undefined;
}

/** A pino-shaped logger that keeps every call; `text()` is everything serialized, for "never logged" checks. */
export class CapturingLogger implements Logger {
  readonly entries: LogEntry[] = [];
  debug(obj: object, msg?: string): void {
    this.entries.push({ level: 'debug', obj, msg });
  }
  info(obj: object, msg?: string): void {
    this.entries.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg?: string): void {
    this.entries.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg?: string): void {
    this.entries.push({ level: 'error', obj, msg });
  }
  child(bindings: object): Logger {
    const parent = this;
    const wrap = (level: LogEntry['level']) => (obj: object, msg?: string) => parent[level]({ ...bindings, ...obj }, msg);
    return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
  }
  at(level: LogEntry['level']): LogEntry[] {
    return this.entries.filter((e) => e.level === level);
  }
  text(): string {
    return this.entries.map((e) => `${e.level} ${e.msg ?? ''} ${JSON.stringify(e.obj, replacer)}`).join('\n');
  }
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { message: value.message, stack: value.stack };
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  return value;
}

/** The server-side session of a client connected with `RawClient.connected`. */
export function sessionOf(server: StompServer, client: RawClient): Session {
  const id = header(client.frames[0], 'session')!;
  const session = server.sessions.get(id);
  if (session === undefined) throw new Error(`no session ${id}`);
  return session as Session;
}

/** Bytes the broker holds for a session: the transport's buffer plus its own drop-oldest queue. */
export function held(session: Session): number {
  return session.connection.bufferedAmount + (session.flow.outbox?.bytes ?? 0);
}

export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Publishes `count` numbered messages of about `size` bytes to `destination`, yielding to the
 * event loop every 16 so sockets can write; stops early once the session is no longer
 * connected. Returns the most the broker held for the session at any point, and how many
 * messages were published.
 */
export async function flood(server: StompServer, session: Session, destination: string, count: number, size: number): Promise<{ maxHeld: number; published: number }> {
  const padding = 'x'.repeat(size);
  let maxHeld = 0;
  let published = 0;
  for (let i = 0; i < count && session.state === 'connected'; i++) {
    const body = Buffer.from(`${i} ${padding}`);
    server.broker.publish(new BrokerMessage(destination, body, 'text/plain', [], undefined, true));
    published++;
    maxHeld = Math.max(maxHeld, held(session));
    if (i % 16 === 15) await nextTurn();
  }
  return { maxHeld, published };
}

/** Resolves when `check()` holds, polling each turn; rejects after `ms`. */
export async function eventually(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
