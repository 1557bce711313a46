/**
 * The NestJS example app end to end: examples/nest compiled by tsc the way Nest apps compile
 * (experimentalDecorators, emitDecoratorMetadata), run as its own Node process on Nest's
 * express platform, port 0, with StompboxModule.forRoot(); real @stomp/stompjs clients talk to
 * the handlers of a Nest provider that has another provider and the messaging template
 * injected. (A child process, as the user runs it: Nest 12 is ESM, loaded through Node's
 * require(esm), which jest's module loader does not do.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { closeClients, header, RawClient, stompClient } from '../helpers/clients';

const ROOT = path.resolve(__dirname, '../..');
const TSCONFIG = path.join(ROOT, 'examples/nest/tsconfig.json');

let outDir: string;
let child: ChildProcess | undefined;
let port = 0;
let stderr = '';
let exited: Promise<{ code: number | null; signal: string | null }>;

/** Compiles examples/nest with its own tsconfig into `out`; returns tsc's messages. */
function compileExample(out: string): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(TSCONFIG, { outDir: out, noEmit: false }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const emitted = program.emit();
  return [...parsed.errors, ...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

beforeAll(async () => {
  outDir = mkdtempSync(path.join(os.tmpdir(), 'stompbox-nest-'));
  expect(compileExample(outDir)).toEqual([]);
  child = spawn(process.execPath, [path.join(outDir, 'examples/nest/main.js')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', NODE_PATH: path.join(ROOT, 'node_modules'), STOMPBOX_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  exited = new Promise((resolve) => child!.once('exit', (code, signal) => resolve({ code, signal })));
  port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child!.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /127\.0\.0\.1:(\d+)/.exec(out);
      if (m !== null) resolve(Number(m[1]));
    });
    child!.once('exit', (code) => reject(new Error(`the Nest app exited (${code}) before listening: ${out} ${stderr}`)));
  });
}, 60_000);

afterEach(() => closeClients());

afterAll(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(outDir, { recursive: true, force: true });
});

const base = (): string => `http://127.0.0.1:${port}/ws`;

describe('StompboxModule in a NestJS app', () => {
  it('runs a @MessageMapping of a Nest provider, with its injected provider, and @SendTo', async () => {
    const c = await stompClient(base(), 'websocket');
    const inbox = await c.subscribe('/topic/greetings');
    c.client.publish({ destination: '/app/greet', body: JSON.stringify({ name: 'nest' }), headers: { 'content-type': 'application/json' } });
    const [greeting] = await inbox.wait(1);
    expect(greeting.body).toMatch(/^"?Hello, nest! \(greeting #\d+\)"?$/);
  });

  it('answers a @SubscribeMapping to the subscriber only', async () => {
    const c = await stompClient(base(), 'xhr-streaming');
    const inbox = await c.subscribe('/app/stats');
    const [stats] = await inbox.wait(1);
    expect(JSON.parse(stats.body)).toEqual({ greeted: expect.any(Number) });
  });

  it('sends through the injected MessagingTemplate and replies with @SendToUser', async () => {
    const alice = await stompClient(base(), 'websocket', { login: 'alice' });
    const whispers = await alice.subscribe('/user/queue/whispers');
    const bob = await stompClient(base(), 'sockjs-websocket', { login: 'bob' });
    const sent = await bob.subscribe('/user/queue/sent');
    bob.client.publish({ destination: '/app/whisper/alice', body: 'psst', headers: { 'content-type': 'text/plain' } });
    expect((await whispers.wait(1)).map((m) => m.body)).toEqual(['bob: psst']);
    expect((await sent.wait(1)).map((m) => m.body)).toEqual(['sent to alice']);
  });

  it('leaves Nest\'s own HTTP routes working on the same port', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/hello`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ greeted: expect.any(Number) });
  });

  it('reports a failing handler to the client and on the app\'s stderr (the default logger)', async () => {
    const c = await stompClient(base(), 'websocket');
    const errors = await c.subscribe('/user/queue/errors');
    c.client.publish({ destination: '/app/fail', body: '{}', headers: { 'content-type': 'application/json' } });
    const [report] = await errors.wait(1);
    expect(JSON.parse(report.body)).toMatchObject({ code: 'STOMP_ERR_HANDLER_FAILED', message: 'this handler always fails', destination: '/app/fail' });
    for (let i = 0; i < 100 && !stderr.includes('Handler failed'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(stderr).toMatch(/stompbox warn: Handler failed .*"handler":"ChatHandlers\.fail"/);
  });

  it('ends its sessions with an ERROR on SIGTERM, then exits as Nest does (re-raising the signal)', async () => {
    const c = await RawClient.connected(`ws://127.0.0.1:${port}/ws`);
    const started = Date.now();
    child!.kill('SIGTERM');
    const error = await c.nextCommand('ERROR', 10000);
    const errorAfter = Date.now() - started;
    expect(header(error, 'code')).toBe('STOMP_ERR_SERVER_SHUTDOWN');
    // enableShutdownHooks(): app.close() runs every hook, then Nest kills itself with the signal it got.
    expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
    const exitAfter = Date.now() - started;
    process.stdout.write(`nest example: SIGTERM -> ERROR at the client ${errorAfter} ms, process gone ${exitAfter} ms\n`);
    // Bounded by shutdownTimeout (5 s): the xhr-streaming session of an earlier test, whose client
    // left, holds close() until then (its SockJS session outlives the client by disconnectDelay).
    expect(exitAfter).toBeLessThan(5000 + 3000);
  });
});
