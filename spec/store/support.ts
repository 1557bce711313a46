/**
 * The reference app as a child process with a store file (env `STORE`), so that specs can
 * SIGKILL it and start it again on the same file. The app is bundled once per test file with
 * esbuild (packages stay external and resolve from this repo's node_modules through NODE_PATH).
 * Every process started here is killed by PID in `killApps()` (call it in afterEach).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, type IFrame, type IMessage, type StompHeaders } from '@stomp/stompjs';
import { buildSync } from 'esbuild';
import WebSocket from 'ws';

const ROOT = path.resolve(__dirname, '../..');
const bundles = new Map<string, { dir: string; file: string }>();
const children = new Set<ChildProcess>();
const clients = new Set<Client>();

/** The reference app, and the durability specs' own broker (fixtures/durable-broker.ts). */
const ENTRIES = { reference: path.join(ROOT, 'examples/reference/main.ts'), durable: path.join(__dirname, 'fixtures/durable-broker.ts') };

function bundled(entry: keyof typeof ENTRIES): string {
  const known = bundles.get(entry);
  if (known !== undefined) return known.file;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stompbox-store-'));
  const file = path.join(dir, 'main.js');
  buildSync({ entryPoints: [ENTRIES[entry]], bundle: true, platform: 'node', target: 'node20', packages: 'external', outfile: file, logLevel: 'error' });
  bundles.set(entry, { dir, file });
  return file;
}

/** A temporary folder for store files, removed by `removeTemp()`. */
export function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'stompbox-store-file-'));
}

/** A running reference app. */
export interface App {
  readonly child: ChildProcess;
  readonly port: number;
  /** The plain WebSocket URL of `/webServer`. */
  readonly url: string;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
}

/** What a child that failed to start printed. */
export interface Failed {
  readonly code: number | null;
  readonly stderr: string;
}

/** Starts the reference app with `STORE=<store>`; resolves once it listens, or with how it failed. */
export function startApp(store: string, extraEnv: Record<string, string> = {}, nodeArgs: string[] = []): Promise<App | Failed> {
  return start('reference', '/webServer/websocket', store, extraEnv, nodeArgs);
}

/** Starts fixtures/durable-broker.ts (queues `/queue/**`, retained `/topic/**`) on the SQLite file `store`. */
export function startBroker(store: string, extraEnv: Record<string, string> = {}): Promise<App | Failed> {
  return start('durable', '/ws', store, extraEnv, []);
}

function start(entry: keyof typeof ENTRIES, wsPath: string, store: string, extraEnv: Record<string, string>, nodeArgs: string[]): Promise<App | Failed> {
  const child = spawn(process.execPath, [...nodeArgs, bundled(entry)], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', TCP_PORT: 'off', STORE: store, NODE_PATH: path.join(ROOT, 'node_modules'), ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(?:localhost:|listening on )(\d+)/.exec(out);
      if (m !== null) resolve({ child, port: Number(m[1]), url: `ws://127.0.0.1:${m[1]}${wsPath}`, exited });
    });
    void exited.then(({ code }) => resolve({ code, stderr: err }));
  });
}

/** Narrows a start to a running app (failing the spec with what the child printed otherwise). */
export function running(app: App | Failed): App {
  if ('port' in app) return app;
  throw new Error(`the reference app did not start (exit ${app.code}): ${app.stderr}`);
}

/** SIGKILLs the app and waits for it to be gone. */
export async function kill9(app: App): Promise<void> {
  app.child.kill('SIGKILL');
  await app.exited;
}

/** A connected @stomp/stompjs client over `ws`, no reconnect, no heart-beats. */
export function connect(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client({
      webSocketFactory: () => new WebSocket(url),
      reconnectDelay: 0,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
      onConnect: () => resolve(client),
      onStompError: (f: IFrame) => reject(new Error(`ERROR ${f.headers.code}: ${f.headers.message}`)),
      onWebSocketClose: () => reject(new Error('closed before CONNECTED')),
    });
    clients.add(client);
    client.activate();
  });
}

/** Subscribes and resolves with the SUBSCRIBE's RECEIPT headers; messages go to `inbox`. */
export function subscribe(client: Client, destination: string, headers: StompHeaders, inbox: IMessage[]): Promise<StompHeaders> {
  const receipt = `sub-${Math.random().toString(36).slice(2)}`;
  return new Promise((resolve) => {
    client.watchForReceipt(receipt, (f) => resolve(f.headers));
    client.subscribe(destination, (m) => inbox.push(m), { ...headers, receipt });
  });
}

/** Waits until `check()` holds, polling every 20 ms, for at most `ms`. */
export async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Ends every client and kills (by PID) every app started here. */
export async function killApps(): Promise<void> {
  for (const client of clients) await client.deactivate({ force: true });
  clients.clear();
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
}

/** Removes the bundle (afterAll). */
export function removeBundle(): void {
  for (const { dir } of bundles.values()) rmSync(dir, { recursive: true, force: true });
  bundles.clear();
}
