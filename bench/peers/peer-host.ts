import type { PeerReady, PeerUnavailable } from './peer-ready';

/**
 * What every peer process shares: the port to listen on (env `PORT` or argv[2], default 0 for
 * any free port), the announcement of the port it got and what it supports (a JSON line on
 * stdout and an IPC message, see {@link PeerReady}), and the runner's requests over IPC: `gc`
 * (collect garbage before a memory reading; node peers run with `--expose-gc`) and `stats`
 * (CPU and memory, for systems without `/proc`).
 */

/** The port requested by the runner. */
export function requestedPort(): number {
  const raw = process.env.PORT ?? process.argv[2] ?? '0';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a TCP port, got ${raw}`);
  return port;
}

/** Messages the runner sends to a peer. */
export type PeerRequest = { type: 'gc' } | { type: 'stats' };

/** What a peer adds to its announcement beyond the port: by default, topics over WebSocket and idle connections. */
export type Announcement = Omit<PeerReady, 'type' | 'port'>;

const TOPICS: Announcement = { supports: ['topic-ws', 'idle'] };

/** Announces the listening port and what the peer supports, and starts answering the runner. */
export function announce(name: string, port: number, about: Announcement = TOPICS): void {
  const ready: PeerReady = { type: 'ready', port, ...about };
  process.stdout.write(`${JSON.stringify({ peer: name, ...ready })}\n`);
  process.on('message', (msg: PeerRequest) => {
    if (msg.type === 'gc') {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      // A second pass after a turn lets weak callbacks and finalizers release what they hold.
      setImmediate(() => {
        gc?.();
        process.send?.({ type: 'gc-done' });
      });
    } else if (msg.type === 'stats') {
      const cpu = process.cpuUsage();
      process.send?.({ type: 'stats', cpuSeconds: (cpu.user + cpu.system) / 1e6, rss: process.memoryUsage().rss });
    }
  });
  // Handlers first: the runner may stop a peer the moment it is ready (a skipped run), and a
  // SIGTERM before the handler would end it without its exit handlers (temporary files).
  if (process.listenerCount('SIGTERM') === 0) process.on('SIGTERM', () => process.exit(0));
  process.send?.(ready);
}

/** Tells the runner this peer cannot run here, and why; the process exits shortly after. */
export function unavailable(name: string, reason: string): void {
  const msg: PeerUnavailable = { type: 'unavailable', reason };
  process.stdout.write(`${JSON.stringify({ peer: name, ...msg })}\n`);
  process.send?.(msg);
  // Let the IPC message flush before leaving.
  setTimeout(() => process.exit(0), 100);
}
