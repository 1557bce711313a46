/**
 * What every peer process shares: the port to listen on (env `PORT` or argv[2], default 0 for
 * any free port), the announcement of the port it got (a JSON line on stdout and an IPC
 * message), and the runner's requests over IPC: `gc` (collect garbage before a memory
 * reading; peers run with `--expose-gc`) and `stats` (CPU and memory, for systems without
 * `/proc`).
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

/** Announces the listening port and starts answering the runner. */
export function announce(name: string, port: number): void {
  process.stdout.write(`${JSON.stringify({ peer: name, port })}\n`);
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
  process.send?.({ type: 'ready', port });
  process.on('SIGTERM', () => process.exit(0));
}
