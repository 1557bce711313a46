/**
 * The package as users get it: `npm pack` in a copy of the working tree as a fresh clone has
 * it (no dist/; npm's `prepare` builds), the tarball installed with npm into a new project,
 * and that project using it: `require`, ESM `import`, TypeScript under node16, nodenext and
 * bundler resolution with skipLibCheck false, the `stompbox` binary (`--version`, `serve
 * --demo` with its pages), the README's "Add it to your project" program, and
 * `stompbox/client` bundled by the project's own esbuild and Vite builds (no configuration)
 * working in Chromium. Tools the project would install itself (typescript, @types/node, vite,
 * esbuild, the NestJS packages) are linked from this repo's node_modules rather than
 * downloaded again; stompbox's own runtime dependencies come from the registry, as for a user.
 * Prints what it measured: tarball size and file count, runtime dependency count, bundle sizes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { browserAvailability, describeWithBrowser, launchBrowser } from '../helpers/browser';
import { REQUIREMENTS } from '../support/requirements';
import { recordSkip } from '../support/skips';
import { copyWorkingTree, linkFromRepo, packResult, repoVersion, ROOT, run, start, writeFiles, type Running } from './support';

jest.setTimeout(120_000);

// Installing the tarball fetches stompbox's dependencies: without the registry, skip (CI: fail).
const registry = REQUIREMENTS.find((r) => r.name === 'the npm registry')!.probe();
if (!registry.ok) {
  if (process.env.CI) throw new Error(`CI needs the npm registry for the package spec: ${registry.detail}`);
  recordSkip('the package spec', `the npm registry is not reachable (${registry.detail})`);
}
const describePackage = registry.ok ? describe : describe.skip;

const NPM = 'npm';
const QUIET_NPM = ['--no-audit', '--no-fund', '--loglevel=error'];
let work: string;
let consumer: string;
let unpacked: string;
let pack: ReturnType<typeof packResult>;
const measured: string[] = [];
const children = new Set<Running>();

/** The ```js block that follows "## Add it to your project" in the README. */
function readmeProgram(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Add it to your project'));
  const m = /```js\n([\s\S]*?)```/.exec(section);
  if (m === null) throw new Error('README has no ```js block under "## Add it to your project"');
  return m[1];
}

function sizeOf(dir: string, ext: RegExp): number {
  let total = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && ext.test(entry.name)) total += statSync(path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name)).size;
  }
  return total;
}

const kB = (n: number): string => `${(n / 1000).toFixed(1)} kB`;

describePackage('stompbox packed, installed and used', () => {
beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'stompbox-pack-'));
  const clone = path.join(work, 'clone');
  const copied = copyWorkingTree(clone);
  const packed = await run(NPM, ['pack', '--json', '--pack-destination', work, ...QUIET_NPM], { cwd: clone, timeout: 180_000 });
  pack = packResult(packed.stdout);
  measured.push(`npm pack (prepare builds) of a ${copied}-file clone: ${packed.ms} ms`);
  unpacked = path.join(work, 'unpacked');
  await run('mkdir', ['-p', unpacked], { cwd: work });
  await run('tar', ['-xzf', path.join(work, pack.filename), '-C', unpacked], { cwd: work });

  consumer = path.join(work, 'consumer');
  writeFiles(consumer, { 'package.json': JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2) });
  const installed = await run(NPM, ['install', path.join(work, pack.filename), ...QUIET_NPM], { cwd: consumer, timeout: 180_000 });
  measured.push(`npm install of the tarball: ${installed.ms} ms`);
  for (const pkg of ['typescript', '@types/node', 'vite', 'esbuild', '@nestjs/common', '@nestjs/core', '@nestjs/platform-express', 'reflect-metadata', 'rxjs']) linkFromRepo(consumer, pkg);
}, 400_000);

afterAll(() => {
  for (const c of children) c.child.kill('SIGKILL');
  process.stdout.write(`\npackage spec measured:\n  ${measured.join('\n  ')}\n\n`);
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  const files = (): string[] => pack.files.map((f) => f.path);

  it('holds the built JS, types, CLI, browser bundles, demo pages, LICENSE and README', () => {
    measured.push(`tarball: ${kB(pack.size)} (${kB(pack.unpackedSize)} unpacked), ${pack.entryCount} files`);
    for (const f of [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/broker/index.js',
      'dist/broker/index.d.ts',
      'dist/client/index.js',
      'dist/client/index.d.ts',
      'dist/client/browser/stompbox-client.js',
      'dist/client/browser/stompbox-client.mjs',
      'dist/client/browser/stompbox-client.d.mts',
      'dist/nest/index.js',
      'dist/nest/index.d.ts',
      'dist/cli/stompbox.js',
      'dist/examples/reference/app.js',
      'dist/examples/reference/public/index.html',
      'dist/examples/reference/public/topic.html',
      'dist/examples/reference/public/queue.html',
      'dist/examples/reference/public/sse.html',
      'dist/examples/reference/public/demo.js',
      'dist/examples/reference/public/demo.css',
    ]) {
      expect(files()).toContain(f);
    }
    expect(readFileSync(path.join(unpacked, 'package/dist/cli/stompbox.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('ships no TypeScript sources, specs or benchmarks', () => {
    expect(files().filter((f) => /\.(c|m)?ts$/.test(f) && !/\.d\.(c|m)?ts$/.test(f))).toEqual([]);
    expect(files().filter((f) => /^(spec|bench|scripts|examples|broker|client|cli|nest)\//.test(f))).toEqual([]);
  });

  it('has no source map that names a file it lacks (each carries its sources, or they are in the package)', () => {
    const maps = files().filter((f) => f.endsWith('.map'));
    for (const map of maps) {
      const parsed = JSON.parse(readFileSync(path.join(unpacked, 'package', map), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      parsed.sources.forEach((source, i) => {
        const inside = files().includes(path.posix.normalize(path.posix.join(path.posix.dirname(map), source)));
        expect({ map, source, carried: inside || typeof parsed.sourcesContent?.[i] === 'string' }).toEqual({ map, source, carried: true });
      });
    }
    measured.push(`source maps: ${maps.length} (${maps.join(', ')}), every source carried`);
  });

  it('points every exports entry and the bin at a file it contains', () => {
    const manifest = JSON.parse(readFileSync(path.join(unpacked, 'package/package.json'), 'utf8')) as { exports: Record<string, unknown>; bin: Record<string, string>; license: string };
    const targets: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') targets.push(v);
      else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(manifest.exports);
    walk(manifest.bin);
    for (const t of targets) expect(files()).toContain(path.posix.normalize(t));
    expect(manifest.license).toBe('MIT');
  });
});

describe('a project that installed the tarball', () => {
  it('counts the runtime dependencies npm installed with it', () => {
    const lock = JSON.parse(readFileSync(path.join(consumer, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    const deps = Object.keys(lock.packages).filter((k) => k !== '' && k !== 'node_modules/stompbox');
    measured.push(`runtime dependencies installed with stompbox: ${deps.length} packages`);
    expect(deps.length).toBeGreaterThan(0);
  });

  it('loads with require, including every subpath', async () => {
    const script = `
      const s = require('stompbox'); const c = require('stompbox/client');
      require('reflect-metadata'); const n = require('stompbox/nest');
      console.log(JSON.stringify({ server: typeof s.StompServer, version: s.VERSION, client: typeof c.StompboxClient, nest: typeof n.StompboxModule.forRoot,
        classic: require.resolve('stompbox/client/browser.js').endsWith('stompbox-client.js') }));`;
    const { stdout } = await run('node', ['-e', script], { cwd: consumer });
    expect(JSON.parse(stdout)).toEqual({ server: 'function', version: repoVersion(), client: 'function', nest: 'function', classic: true });
  });

  it('loads with ESM import, including every subpath', async () => {
    writeFiles(consumer, {
      'esm.mjs': `
        import { StompServer, VERSION } from 'stompbox';
        import { StompboxClient } from 'stompbox/client';
        import 'reflect-metadata';
        import { StompboxModule } from 'stompbox/nest';
        const browserModule = import.meta.resolve('stompbox/client/browser.mjs');
        console.log(JSON.stringify({ server: typeof StompServer, version: VERSION, client: typeof StompboxClient, nest: typeof StompboxModule, browserModule: browserModule.endsWith('stompbox-client.mjs') }));`,
    });
    const { stdout } = await run('node', ['esm.mjs'], { cwd: consumer });
    expect(JSON.parse(stdout)).toEqual({ server: 'function', version: repoVersion(), client: 'function', nest: 'function', browserModule: true });
  });

  const USE = `
    import { createStderrLogger, MessageMapping, SendTo, StompServer, type MessageContext } from 'stompbox';
    import { StompboxClient, type ClientOptions } from 'stompbox/client';
    import { StompboxModule } from 'stompbox/nest';
    class Greeter {
      @MessageMapping('/greet')
      @SendTo('/topic/greetings')
      greet(payload: { name: string }, ctx: MessageContext): string { return payload.name + ctx.destination; }
    }
    const server: StompServer = new StompServer({ endpoints: ['/ws'], logger: createStderrLogger({ level: 'error' }) });
    server.register(new Greeter());
    const options: ClientOptions = { url: 'ws://localhost:6032/ws', transport: 'sockjs' };
    export const used = [server, new StompboxClient(options), StompboxModule.forRoot({ endpoints: ['/ws'] })];
  `;

  it.each([
    ['node16', { module: 'node16', moduleResolution: 'node16' }, ['check.mts', 'check.cts']],
    ['nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }, ['check.mts', 'check.cts']],
    ['bundler', { module: 'esnext', moduleResolution: 'bundler' }, ['check.ts']],
  ])('type-checks a TypeScript consumer under %s resolution with skipLibCheck false', async (mode, resolution, entries) => {
    const dir = path.join(consumer, 'ts', mode);
    writeFiles(dir, {
      'check.mts': USE,
      'check.cts': USE, // the same imports, compiled to require() calls
      'check.ts': USE,
      'tsconfig.json': JSON.stringify({
        compilerOptions: { ...resolution, target: 'es2022', lib: ['es2022'], strict: true, skipLibCheck: false, noEmit: true, types: ['node'] },
        files: entries,
      }),
    });
    const result = await run('node', [path.join(consumer, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir, allowFailure: true });
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.code).toBe(0);
  });

  it('runs the stompbox binary: --version', async () => {
    const { stdout } = await run(NPM, ['exec', '--no', '--', 'stompbox', '--version'], { cwd: consumer });
    expect(stdout.trim()).toBe(repoVersion());
  });

  it('serves the index, both demo pages and the browser libraries from `npx stompbox serve --demo`', async () => {
    // The linked bin itself (what `npx stompbox` runs), so the SIGTERM below reaches the server, not npm.
    const serve = start(path.join(consumer, 'node_modules/.bin/stompbox'), ['serve', '--demo', '--port', '0', '--host', '127.0.0.1', '--tcp-port', '0'], { cwd: consumer });
    children.add(serve);
    const [, port] = await serve.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)\//);
    try {
      for (const page of ['/', '/topic.html', '/queue.html', '/demo.js', '/demo.css', '/lib/sockjs.min.js', '/lib/stomp.umd.min.js', '/lib/stompbox-client.js', '/lib/stompbox-client.mjs']) {
        const res = await fetch(`http://127.0.0.1:${port}${page}`);
        expect({ page, status: res.status }).toEqual({ page, status: 200 });
      }
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain('href="topic.html"');
    } finally {
      serve.child.kill('SIGTERM');
      await new Promise((resolve) => serve.child.once('exit', resolve));
      children.delete(serve);
    }
  });
});

(registry.ok ? describeWithBrowser(browserAvailability()) : describe.skip)('stompbox/client bundled by the project\'s own build, in Chromium', () => {
  let browser: Browser;
  let server: Running;
  let port = 0;
  let out: string;

  beforeAll(async () => {
    out = path.join(consumer, 'public');
    writeFiles(consumer, {
      'server.js': readmeProgram(),
      'web/index.html': '<!doctype html><html><body><p id="out">waiting</p><script type="module" src="./main.js"></script></body></html>\n',
      'web/main.js': `
        import { StompboxClient } from 'stompbox/client';
        const out = document.getElementById('out');
        const params = new URLSearchParams(location.search);
        const client = new StompboxClient({ url: params.get('url'), transport: params.get('transport') });
        client.connect()
          .then(async () => {
            const off = client.subscribe('/topic/hello', (body) => { out.textContent = 'received ' + JSON.stringify(body) + ' over ' + client.transport.kind; });
            await off.ready;
            await client.publish('/hello', { name: params.get('name') });
          })
          .catch((err) => { out.textContent = 'failed ' + err.message; });
      `,
    });
    // esbuild's bin is its native executable here (the package ships one per platform).
    const esbuild = await run(path.join(consumer, 'node_modules/esbuild/bin/esbuild'), ['web/main.js', '--bundle', '--format=esm', '--minify', `--outfile=${path.join(out, 'esbuild/main.js')}`, '--log-level=warning'], { cwd: consumer });
    writeFileSync(path.join(out, 'esbuild/index.html'), readFileSync(path.join(consumer, 'web/index.html')));
    const vite = await run('node', [path.join(consumer, 'node_modules/vite/bin/vite.js'), 'build', '--base', './', '--outDir', path.join(out, 'vite'), '--emptyOutDir', '--logLevel', 'warn'], { cwd: path.join(consumer, 'web') });
    measured.push(`esbuild bundle of an app using stompbox/client: ${kB(sizeOf(path.join(out, 'esbuild'), /\.js$/))} minified (${esbuild.ms} ms); Vite build: ${kB(sizeOf(path.join(out, 'vite'), /\.js$/))} of JS (${vite.ms} ms)`);
    measured.push(`prebuilt bundles: stompbox-client.mjs ${kB(statSync(path.join(unpacked, 'package/dist/client/browser/stompbox-client.mjs')).size)}, stompbox-client.js ${kB(statSync(path.join(unpacked, 'package/dist/client/browser/stompbox-client.js')).size)}`);
    server = start('node', ['server.js'], { cwd: consumer, env: { ...process.env, PORT: '0', STATIC_DIR: out } });
    children.add(server);
    port = Number((await server.waitFor(/listening on http:\/\/localhost:(\d+)/))[1]);
    const launched = await launchBrowser();
    if (launched.browser === undefined) throw new Error(launched.reason);
    browser = launched.browser;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.child.kill('SIGTERM');
  });

  it.each([
    ['esbuild', 'websocket'],
    ['esbuild', 'sockjs'],
    ['vite', 'websocket'],
    ['vite', 'sockjs'],
  ])('the %s bundle connects over %s and receives what the README program sends', async (tool, transport) => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(String(err)));
      const url = transport === 'websocket' ? `ws://127.0.0.1:${port}/ws` : `http://127.0.0.1:${port}/ws`;
      await page.goto(`http://127.0.0.1:${port}/${tool}/index.html?url=${encodeURIComponent(url)}&transport=${transport}&name=${tool}`);
      await page.waitForFunction(() => document.getElementById('out')?.textContent !== 'waiting', undefined, { timeout: 15_000 });
      expect(await page.textContent('#out')).toBe(`received {"greeting":"Hello, ${tool}!"} over ${transport}`);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
});
