/**
 * Docs that run. Every fenced block of README.md, CONTRIBUTING.md and docs/*.md is a complete
 * program or marked as a fragment (spec/docs/markdown.ts says how); the programs are written
 * into a project set up as the README tells a user (spec/docs/doc-project.ts), type-checked
 * with the README's tsconfig.json, and run: each exits 0 by itself, or serves HTTP at the
 * address it prints and exits 0 on SIGTERM, and prints the output block that follows it.
 * Programs using RedisBroker or StompBrokerRelay run against the local Redis and RabbitMQ
 * (skipped with the reason when they are missing, failed under CI). The tutorial
 * (docs/tutorial.md) runs end to end: its commands in an empty folder, its server, and its
 * page in headless Chromium receiving a message.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { browserAvailability, describeWithBrowser, isCI, launchBrowser } from '../helpers/browser';
import { ROOT, run, start, type Running } from '../package/support';
import { listening } from '../support/requirements';
import { recordSkip } from '../support/skips';
import { buildPackage, compileProject, pageDir, servicesOf, writeProject, type ProjectFile, type Service } from './doc-project';
import { codeBlocks, type CodeBlock } from './markdown';
import { missingOutput, READY, runProgram } from './run-program';

jest.setTimeout(60_000);

/** The Markdown files whose blocks must run. */
const DOCS = ['README.md', 'CONTRIBUTING.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const BLOCKS: CodeBlock[] = DOCS.flatMap((doc) => codeBlocks(readFileSync(path.join(ROOT, doc), 'utf8'), doc));
const PROGRAMS = BLOCKS.filter((b) => b.kind === 'program');

const SERVICES: Record<Service, { name: string; port: number }> = {
  redis: { name: 'Redis on 127.0.0.1:6379', port: 6379 },
  rabbitmq: { name: 'RabbitMQ STOMP on 127.0.0.1:61613', port: 61613 },
};
const missing = new Map<Service, string>();
for (const [service, { name, port }] of Object.entries(SERVICES) as [Service, { name: string; port: number }][]) {
  if (!PROGRAMS.some((p) => servicesOf(p.code).includes(service)) || listening(port)) continue;
  if (isCI()) throw new Error(`CI needs ${name} for the docs programs that use it`);
  missing.set(service, `${name}: nothing listens`);
}
for (const reason of missing.values()) recordSkip('docs programs that need it', reason);

let work: string;
let project: string;
let files: ProjectFile[] = [];
let compiled: Awaited<ReturnType<typeof compileProject>>;
const measured: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'stompbox-docs-'));
  const t0 = Date.now();
  await buildPackage(path.join(work, 'stompbox'));
  measured.push(`package build: ${Date.now() - t0} ms`);
  project = path.join(work, 'project');
  files = writeProject(project, path.join(work, 'stompbox'), BLOCKS);
  compiled = await compileProject(project, files);
  measured.push(`tsc over ${files.length} files: ${compiled.ms} ms`);
}, 180_000);

afterAll(() => {
  process.stdout.write(`\ndocs spec measured:\n  ${measured.join('\n  ')}\n\n`);
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('docs code blocks', () => {
  it('finds at least one program in the README and in each docs page that shows code', () => {
    expect(PROGRAMS.some((p) => p.doc === 'README.md')).toBe(true);
    expect(PROGRAMS.length).toBeGreaterThan(10);
  });

  it('places every output block right after a program', () => {
    BLOCKS.forEach((b, i) => {
      if (b.kind === 'output') expect({ at: `${b.doc}:${b.line}`, after: BLOCKS[i - 1]?.doc === b.doc ? BLOCKS[i - 1].kind : 'nothing' }).toEqual({ at: `${b.doc}:${b.line}`, after: 'program' });
    });
  });

  it('type-checks every program with the README tsconfig.json (JavaScript with checkJs)', () => {
    expect(compiled.diagnostics.map((d) => `${d.where}: ${d.message}`)).toEqual([]);
  });

  const env = { ...process.env, PORT: '0', STOMPBOX_LOG_LEVEL: 'warn' };
  describe.each(PROGRAMS.map((p) => [`${p.doc}:${p.line}`, p] as const))('the program at %s', (_where, block) => {
    const skipped = servicesOf(block.code).filter((s) => missing.has(s));
    (skipped.length > 0 ? it.skip : it)('runs, does what it shows and ends', async () => {
      const file = files.find((f) => f.block === block)!;
      const result = await runProgram(project, file.entry!, file.dir, env);
      measured.push(`${file.block.doc}:${file.block.line}: ${result.ms} ms${result.served === undefined ? '' : ' (server)'}`);
      const summary = { failure: result.failure, code: result.code, signal: result.signal, missing: file.output === undefined ? [] : missingOutput(file.output.code, result.output) };
      if (summary.failure !== undefined || summary.code !== 0 || summary.missing.length > 0) summary.failure ??= `output:\n${result.output}`;
      expect(summary).toEqual({ failure: undefined, code: 0, signal: null, missing: [] });
      if (result.served !== undefined) expect(result.served.status).toBeLessThan(500);
    }, 30_000);
  });
});

describeWithBrowser(browserAvailability())('the tutorial, from an empty folder', () => {
  const tutorial = BLOCKS.filter((b) => b.doc === 'docs/tutorial.md');
  let app: string;
  let server: Running | undefined;
  let browser: Browser;

  beforeAll(async () => {
    app = path.join(work, 'app');
    // The tutorial's own commands, in a shell, with `npm install <packages>` linking them
    // instead (this stompbox is the working tree, not the registry's): the project above
    // installed the same.
    const packages = path.join(work, 'packages');
    await run('mkdir', ['-p', packages], { cwd: work });
    await run('ln', ['-s', path.join(work, 'stompbox'), path.join(packages, 'stompbox')], { cwd: work });
    await run('ln', ['-s', path.join(ROOT, 'node_modules/express'), path.join(packages, 'express')], { cwd: work });
    const npmInstallLinks = `npm() { if [ "$1" = install ]; then shift; mkdir -p node_modules; for p in "$@"; do ln -s "${packages}/$p" "node_modules/$p"; done; else command npm "$@" --loglevel=error; fi; }`;
    const commands = tutorial.find((b) => b.lang === 'sh')!.code;
    await run('bash', ['-e', '-c', `${npmInstallLinks}\n${commands}`], { cwd: work });
    for (const f of files.filter((f) => f.block.doc === 'docs/tutorial.md')) {
      await run('cp', [path.join(project, f.file), path.join(app, path.relative(pageDir('docs/tutorial.md'), f.file))], { cwd: app });
    }
    const launched = await launchBrowser();
    if (launched.browser === undefined) throw new Error(launched.reason);
    browser = launched.browser;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.child.kill('SIGKILL');
  });

  it('says to run exactly what this spec runs', () => {
    const shell = tutorial.filter((b) => b.lang === 'sh').map((b) => b.code).join('\n');
    for (const command of ['mkdir app && cd app', 'npm init -y', 'npm install stompbox express', 'mkdir public', 'node server.mjs']) expect(shell).toContain(command);
    expect(tutorial.filter((b) => b.name !== undefined).map((b) => b.name).sort()).toEqual(['public/index.html', 'server.mjs']);
  });

  it('serves the page, whose client connects and receives what it sends', async () => {
    server = start(process.execPath, ['server.mjs'], { cwd: app, env: { ...process.env, PORT: '0' } });
    const [, url] = await server.waitFor(READY);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(String(err)));
      await page.goto(url);
      await page.waitForFunction(() => document.getElementById('state')?.textContent === 'connected', undefined, { timeout: 15_000 });
      await page.fill('#text', 'hello from the tutorial');
      await page.click('button');
      await page.waitForFunction(() => document.querySelector('#messages li') !== null, undefined, { timeout: 15_000 });
      expect(await page.textContent('#messages li')).toContain('hello from the tutorial');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
    server.child.kill('SIGTERM');
    const code = await new Promise((resolve) => server!.child.once('exit', resolve));
    expect(code).toBe(0);
    server = undefined;
  });
});
