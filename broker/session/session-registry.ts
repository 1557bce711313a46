import { EventEmitter } from 'node:events';

/** What the registry needs of a session: its id. */
export interface RegisteredSession {
  readonly sessionId: string;
}

/** The registry's events: a connection opened, a session past CONNECT, a session gone. */
export interface SessionRegistryEvents<S> {
  opened: [session: S];
  connected: [session: S];
  closed: [session: S];
}

/**
 * Every session of one server, from its transport connection to its close: admission (whether a
 * new connection is taken, `maxConnections` and shutdown), the connected ones by id, the
 * lifecycle events, and {@link drained} for shutdown, which resolves the moment the last open
 * session is gone (no polling).
 */
export class SessionRegistry<S extends RegisteredSession> extends EventEmitter<SessionRegistryEvents<S>> {
  /** Every open connection's session, connecting ones too. */
  readonly open = new Set<S>();
  /** Sessions past CONNECT, by id. */
  readonly connected = new Map<string, S>();
  private closing = false;
  private waiters: (() => void)[] = [];

  /** `maxConnections`: most open connections; 0: no limit. */
  constructor(private readonly maxConnections: number) {
    super();
  }

  /** True while new connections are refused: shutting down, or at `maxConnections`. */
  refusing(): boolean {
    return this.closing || (this.maxConnections !== 0 && this.open.size >= this.maxConnections);
  }

  /** From now on every new connection is refused (shutdown). */
  stopAdmitting(): void {
    this.closing = true;
  }

  get shuttingDown(): boolean {
    return this.closing;
  }

  /** A transport connection became a session (admitted or about to be refused with an ERROR). */
  add(session: S): void {
    this.open.add(session);
    this.emit('opened', session);
  }

  /** The session passed CONNECT. */
  markConnected(session: S): void {
    this.connected.set(session.sessionId, session);
    this.emit('connected', session);
  }

  /**
   * The session ended. Returns which of its states it left: `open` false when it was already
   * gone, `connected` true when it had passed CONNECT.
   */
  remove(session: S): { open: boolean; connected: boolean } {
    const open = this.open.delete(session);
    const connected = this.connected.get(session.sessionId) === session && this.connected.delete(session.sessionId);
    if (open || connected) this.emit('closed', session);
    if (this.open.size === 0 && this.waiters.length > 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    }
    return { open, connected };
  }

  /** Resolves once no session is open (at once when none is). */
  drained(): Promise<void> {
    if (this.open.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves once no session is open or `ms` passed, whichever comes first; true when drained. */
  async drainedWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([this.drained().then(() => true as const), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
