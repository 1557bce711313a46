/**
 * A store file that cannot be used is refused at startup with a clear error naming the file
 * and the reason (`STOMP_ERR_STORE_UNAVAILABLE`), never at the first SEND: a file that is not a
 * database, a damaged database, a path that cannot be created, a file another broker holds.
 * Without better-sqlite3 the error names the package to install.
 */
import { openSync, closeSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isStompError, silentLogger, StompServer } from '../../broker';
import { killApps, removeBundle, startApp, tempDir } from './support';

let dir: string;

beforeEach(() => {
  dir = tempDir();
});

afterEach(async () => {
  await killApps();
  rmSync(dir, { recursive: true, force: true });
});

afterAll(removeBundle);

const open = (file: string): StompServer => new StompServer({ logger: silentLogger, store: { sqlite: { file } } });

function refusal(file: string): Error {
  try {
    open(file).close();
  } catch (err) {
    return err as Error;
  }
  throw new Error(`a server opened ${file}`);
}

describe('a store file that cannot be used', () => {
  it('is refused when it is not a SQLite database', () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'these are not the pages you are looking for\n'.repeat(200));
    const err = refusal(file);
    expect(isStompError(err, 'STOMP_ERR_STORE_UNAVAILABLE')).toBe(true);
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/not a database/);
    expect(readFileSync(file, 'utf8')).toMatch(/^these are not/); // left as it was
  });

  it('is refused when a database is damaged (SQLite quick check)', async () => {
    const file = join(dir, 'damaged.db');
    const server = new StompServer({ logger: silentLogger, retention: [{ destinations: '/topic/**', messages: 10_000 }], store: { sqlite: { file } } });
    const body = 'x'.repeat(2000);
    for (let i = 0; i < 400; i++) void server.template.convertAndSend('/topic/a', body);
    await server.close();
    // Garbage over the middle of the file: pages of the table and its index.
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(400 * 2000); // the messages are in it
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(size / 2, 0xa5), 0, size / 2, size / 4);
    closeSync(fd);
    const err = refusal(file);
    expect(isStompError(err, 'STOMP_ERR_STORE_UNAVAILABLE')).toBe(true);
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/malformed|quick check|not a database/);
  });

  it('is refused when the file cannot be created', () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    const file = join(blocker, 'store.db'); // under a regular file: no directory to create it in
    const err = refusal(file);
    expect(isStompError(err, 'STOMP_ERR_STORE_UNAVAILABLE')).toBe(true);
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/unable to open|SQLITE_CANTOPEN/);
  });

  it('is refused while another broker holds it', async () => {
    const file = join(dir, 'held.db');
    const first = open(file);
    const err = refusal(file);
    expect(isStompError(err, 'STOMP_ERR_STORE_UNAVAILABLE')).toBe(true);
    expect(err.message).toMatch(/locked|SQLITE_BUSY/);
    await first.close();
    await open(file).close(); // free again once the first closed
  });

  it('stops the reference app (env STORE) with one line naming the file and the reason, exit 1', async () => {
    const file = join(dir, 'corrupt.db');
    writeFileSync(file, Buffer.alloc(8192, 0x42));
    const started = await startApp(file);
    expect('port' in started).toBe(false);
    const failed = started as { code: number | null; stderr: string };
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(new RegExp(`^stompbox: The store file "${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" cannot be used: file is not a database`));
  }, 20_000);

  it('names better-sqlite3 when it is not installed', async () => {
    const started = await startApp(join(dir, 'any.db'), {}, ['-r', join(__dirname, 'fixtures', 'hide-better-sqlite3.cjs')]);
    expect('port' in started).toBe(false);
    const failed = started as { code: number | null; stderr: string };
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/needs the "better-sqlite3" package, version 12 .*npm install better-sqlite3@12/);
  }, 20_000);
});
