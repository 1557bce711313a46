/**
 * The `store` option: `'memory'` by default, `{ sqlite: { file, maxBytes, synchronous, queues } }`
 * validated field by field with the defaults of docs/options.md, and a server built on it.
 */
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { DEFAULTS, isStompError, resolveOptions, silentLogger, StompServer } from '../../broker';
import { SQLITE_DEFAULTS } from '../../broker/store/store-options';
import { tempDir } from './support';

const resolve = (store: unknown) => resolveOptions({ store } as never, silentLogger).store;

function invalid(store: unknown): string {
  try {
    resolve(store);
  } catch (err) {
    expect(isStompError(err, 'STOMP_ERR_INVALID_OPTION')).toBe(true);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(store)}`);
}

describe('the store option', () => {
  it("is 'memory' by default", () => {
    expect(DEFAULTS.store).toBe('memory');
    expect(resolveOptions({}, silentLogger).store).toBe('memory');
  });

  it('fills in the sqlite defaults: 1 GiB, synchronous full, persistent queue messages', () => {
    expect(SQLITE_DEFAULTS).toEqual({ maxBytes: 1073741824, synchronous: 'full', queues: 'persistent' });
    expect(resolve({ sqlite: { file: 'x.db' } })).toEqual({ sqlite: { file: 'x.db', maxBytes: 1073741824, synchronous: 'full', queues: 'persistent' } });
    expect(resolve({ sqlite: { file: 'x.db', maxBytes: 65536, synchronous: 'normal', queues: 'all' } })).toEqual({ sqlite: { file: 'x.db', maxBytes: 65536, synchronous: 'normal', queues: 'all' } });
    expect(Object.isFrozen(resolve({ sqlite: { file: 'x.db' } }))).toBe(true);
  });

  it.each<[unknown, RegExp]>([
    ['sqlite', /Option "store" must be "memory" or \{ sqlite/],
    [{}, /Option "store.sqlite" must be an object/],
    [{ redis: {} }, /Unknown option "store.redis"/],
    [{ sqlite: { file: '' } }, /Option "store.sqlite.file" must be a non-empty file path; received ""/],
    [{ sqlite: { path: 'x.db' } }, /Unknown option "store.sqlite.path"/],
    [{ sqlite: { file: 'x.db', maxBytes: 1000 } }, /Option "store.sqlite.maxBytes" must be an integer ≥ 65536 \(bytes\); received 1000/],
    [{ sqlite: { file: 'x.db', maxBytes: 1.5e6 + 0.5 } }, /store.sqlite.maxBytes/],
    [{ sqlite: { file: 'x.db', synchronous: 'off' } }, /Option "store.sqlite.synchronous" must be "full" or "normal"; received "off"/],
    [{ sqlite: { file: 'x.db', queues: 'some' } }, /Option "store.sqlite.queues" must be "persistent" or "all"; received "some"/],
  ])('refuses %p', (store, message) => {
    expect(invalid(store)).toMatch(message);
  });

  it('opens the file at new StompServer() and reports it in stats()', async () => {
    const dir = tempDir();
    try {
      const file = join(dir, 'stats.db');
      const server = new StompServer({ logger: silentLogger, retention: [{ destinations: '/topic/**', messages: 10 }], store: { sqlite: { file } } });
      for (let i = 0; i < 20; i++) await server.template.convertAndSend('/topic/a', `m${i}`);
      const stats = server.stats();
      expect(stats.store).toEqual(expect.objectContaining({ kind: 'sqlite', file, maxBytes: 1073741824 }));
      expect(stats.store.fileBytes).toBeGreaterThan(0);
      expect(stats.store.commits).toBeGreaterThan(0);
      expect(stats.retention.messages).toBe(10);
      expect(stats.retention.dropped.count).toBe(10);
      await server.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves the store figures on /metrics', async () => {
    const dir = tempDir();
    const server = new StompServer({ logger: silentLogger, metrics: true, retention: [{ destinations: '/topic/**', messages: 10 }], store: { sqlite: { file: join(dir, 'metrics.db') } } });
    try {
      await server.template.convertAndSend('/topic/a', 'one');
      const { port } = await server.listen(0, '127.0.0.1');
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(Number(/^stompbox_store_file_bytes (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
      expect(Number(/^stompbox_store_bytes (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(200);
      expect(Number(/^stompbox_store_commits_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
