/**
 * Throwaway redis-server processes for the specs that flush, kill or cut a Redis (never the
 * shared one on 6379), key cleanup for the specs that use the shared one, and cluster nodes
 * in processes of their own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { Redis } from 'ioredis';
import { eventually, listening } from './services';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts redis-server on `port` without persistence (a restart loses everything, as a cache-only Redis does). */
export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await eventually(`redis-server on ${port}`, () => listening(port), 5000);
  return child;
}

/** Runs one command on the Redis at `port` over a connection of its own. */
export async function redisCommand(port: number, ...args: string[]): Promise<unknown> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    return await redis.call(args[0], ...args.slice(1));
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key under `prefix` on the Redis at `port` (a spec's own keys on the shared Redis). */
export async function deleteKeys(port: number, prefix: string): Promise<void> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Starts spec/cluster/fixtures/cluster-node.ts as a process of its own (to SIGKILL or SIGSTOP it); resolves with its port. */
export async function spawnNode(options: object): Promise<{ child: ChildProcess; port: number }> {
  const out = join(mkdtempSync(join(tmpdir(), 'stompbox-node-')), 'node.js');
  buildSync({ entryPoints: [join(__dirname, 'fixtures/cluster-node.ts')], bundle: true, platform: 'node', outfile: out, logLevel: 'error' });
  const child = spawn(process.execPath, [out, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /port (\d+)/.exec(text);
      if (m !== null) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`cluster node exited (${code}) before listening`)));
  });
  return { child, port };
}
