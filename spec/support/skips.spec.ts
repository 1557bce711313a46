import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REQUIREMENTS } from './requirements';
import { recordSkip, SKIP_LOG_ENV } from './skips';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const SkipReporter = require('./skip-reporter.js') as new () => { onRunComplete(): void };

describe('skip reasons', () => {
  const saved = process.env[SKIP_LOG_ENV];
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'stompbox-skiplog-'));
  });
  afterEach(() => {
    if (saved === undefined) delete process.env[SKIP_LOG_ENV];
    else process.env[SKIP_LOG_ENV] = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('are printed and appended to the run\'s skip log, which the reporter prints together once', () => {
    const log = path.join(dir, 'skips.jsonl');
    writeFileSync(log, '');
    process.env[SKIP_LOG_ENV] = log;
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      recordSkip('Redis specs', 'nothing listens on 6379');
      recordSkip('Redis specs', 'nothing listens on 6379'); // a second file with the same reason
      recordSkip('browser tests', 'no Chromium');
      expect(warn).toHaveBeenCalledWith('Skipping Redis specs: nothing listens on 6379');
      expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(3);
      new SkipReporter().onRunComplete();
      expect(out.mock.calls.map((c) => String(c[0])).join('')).toBe('\nSkipped, for a missing service or tool:\n  - Redis specs: nothing listens on 6379\n  - browser tests: no Chromium\n');
    } finally {
      warn.mockRestore();
      out.mockRestore();
    }
  });

  it('say so when nothing was skipped', () => {
    const log = path.join(dir, 'skips.jsonl');
    writeFileSync(log, '');
    process.env[SKIP_LOG_ENV] = log;
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      new SkipReporter().onRunComplete();
      expect(out).toHaveBeenCalledWith('\nNo suite was skipped for a missing service or tool.\n');
    } finally {
      out.mockRestore();
    }
  });
});

describe('REQUIREMENTS', () => {
  it('name Redis, redis-server, RabbitMQ with STOMP, Chromium, the Debian STOMP clients and the npm registry, each with the specs that need it and a hint', () => {
    expect(REQUIREMENTS.map((r) => r.name)).toEqual([
      'Redis on 127.0.0.1:6379',
      'redis-server on PATH (throwaway instances)',
      'RabbitMQ with its STOMP plugin on 127.0.0.1:61613',
      'Chromium',
      "Debian's python3-stomp (stomp.py)",
      "Debian's ruby-stomp",
      'the npm registry',
    ]);
    for (const r of REQUIREMENTS) {
      expect(r.neededBy).toMatch(/spec\//);
      expect(r.hint).not.toBe('');
    }
  });
});
