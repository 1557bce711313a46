import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';

// What one retained message costs the process, measured in a child of its own (after a full
// GC, so the test process's own garbage does not count): the bound behind RECORD_OVERHEAD and
// the benchmark's S8-mem target (≤ 400 B for a message with a 128-byte body, body included).

describe('a retained message in the in-memory store', () => {
  let dir: string;
  let script: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'stompbox-retain-memory-'));
    script = path.join(dir, 'retain-memory.js');
    buildSync({ entryPoints: [path.join(__dirname, 'fixtures', 'retain-memory.ts')], bundle: true, platform: 'node', target: 'node20', packages: 'external', outfile: script, logLevel: 'error' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function measure(count: number, size: number, perDestination: number): { perMessage: number; retained: number } {
    const child = spawnSync(process.execPath, ['--expose-gc', script, String(count), String(size), String(perDestination)], { encoding: 'utf8', timeout: 60_000 });
    if (child.status !== 0) throw new Error(`measuring failed: ${child.stderr}`);
    const figures = JSON.parse(child.stdout.trim());
    process.stdout.write(`retained ${figures.retained} × ${size} B: ${figures.perMessage.toFixed(0)} B each\n`);
    return figures;
  }

  it('costs at most 400 B, its 128-byte body included: 100,000 messages on 1,000 destinations', () => {
    const { perMessage, retained } = measure(100_000, 128, 100);
    expect(retained).toBe(100_000);
    expect(perMessage).toBeLessThanOrEqual(400);
    expect(perMessage).toBeGreaterThan(128); // the body itself is held
  });

  it('holds a 4 KB body once, not once per copy it went through', () => {
    const { perMessage } = measure(5_000, 4096, 100);
    expect(perMessage).toBeLessThanOrEqual(400 + 4096);
  });
});
