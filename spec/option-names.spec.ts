/**
 * Every option name docs/options.md documents is accepted by `new StompServer()`, and a name
 * it does not know is refused (STOMP_ERR_INVALID_OPTION, with the nearest known name), at the
 * top level and inside `sockjs`, `tcp`, `sse` and `httpPublish`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULTS, MemoryMessageStore, MemoryQueueStore, SimpleBroker, silentLogger, StompBrokerRelay, StompError, StompServer, type StompServerConfig } from '../broker';
import { OPTIONS_WITHOUT_DEFAULT, SERVER_OPTION_NAMES } from '../broker/options';

const ROOT = path.join(__dirname, '..');

/** The option names of docs/options.md: the first code span of each table row. */
function documentedNames(): string[] {
  const markdown = readFileSync(path.join(ROOT, 'docs/options.md'), 'utf8');
  return markdown
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => /^\| `([^`]+)`/.exec(l)![1]);
}

const built: StompServer[] = [];
afterAll(() => Promise.all(built.splice(0).map((s) => s.close())));

const refusal = (config: unknown): StompError | undefined => {
  try {
    built.push(new StompServer(config as StompServerConfig));
  } catch (err) {
    if (err instanceof StompError) return err;
    throw err;
  }
  return undefined;
};

/** The value at `path` (`['store', 'sqlite', 'file']`) of `value`. */
const at = (value: unknown, path: readonly string[]): unknown => path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);

describe('the option names of new StompServer()', () => {
  let dir: string;
  let tls: { key: Buffer; cert: Buffer };
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'stompbox-options-'));
    // The TLS listener is built in the constructor: it needs a real key and certificate.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    tls = { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A valid value for each option that has no default (the others take their default). */
  const samples = (): Record<string, unknown> => ({
    staticDir: dir,
    tcp: { port: 0, host: '127.0.0.1', tls },
    logger: silentLogger,
    broker: new SimpleBroker(),
    relay: new StompBrokerRelay({ logger: silentLogger }),
    authenticate: () => ({ name: 'someone' }),
    authorization: { rules: [] },
    messageStore: new MemoryMessageStore(1024),
    queueStore: new MemoryQueueStore(),
    // Validated, not opened: with messageStore and queueStore given, no SQLite file is made.
    store: { sqlite: { file: path.join(dir, 'store.db'), maxBytes: 1 << 20, synchronous: 'normal', queues: 'all' } },
    interceptors: [],
    sse: true,
    httpPublish: { path: '/publish', token: 'a-long-enough-token' },
  });

  it('documents every name the server knows, and knows every documented name', () => {
    const documented = documentedNames();
    const topLevel = new Set(documented.map((n) => n.split('.')[0]));
    expect([...SERVER_OPTION_NAMES].filter((n) => !topLevel.has(n))).toEqual([]);
    expect(OPTIONS_WITHOUT_DEFAULT.every((n) => !(n in DEFAULTS))).toBe(true);
  });

  it('accepts a config with every option docs/options.md names, nested ones included', () => {
    const config: Record<string, unknown> = {};
    const sample = samples();
    for (const name of documentedNames()) {
      const [top, ...inner] = name.split('.');
      const value = at(Object.hasOwn(sample, top) ? sample[top] : (DEFAULTS as Record<string, unknown>)[top], inner);
      expect({ name, value }).not.toEqual({ name, value: undefined }); // a documented option without a sample here
      if (inner.length === 0) {
        config[top] ??= value;
        continue;
      }
      let holder = config;
      for (const key of [top, ...inner.slice(0, -1)]) {
        if (typeof holder[key] !== 'object' || holder[key] === null) holder[key] = {};
        holder = holder[key] as Record<string, unknown>;
      }
      holder[inner.at(-1)!] = value;
    }
    expect(refusal(config)).toBeUndefined();
  });

  it.each([
    [{ maxFrameSzie: 1024 }, 'Unknown option "maxFrameSzie"; did you mean "maxFrameSize"?'],
    [{ Heartbeat: [0, 0] }, 'Unknown option "Heartbeat"; did you mean "heartbeat"?'],
    [{ authenticat: () => true }, 'Unknown option "authenticat"; did you mean "authenticate"?'],
    [{ interceptor: [] }, 'Unknown option "interceptor"; did you mean "interceptors"?'],
    [{ port: 6032 }, 'Unknown option "port"'],
    [{ sockjs: { heartbeatdelay: 1000 } }, 'Unknown option "sockjs.heartbeatdelay"; did you mean "sockjs.heartbeatDelay"?'],
    [{ tcp: { port: 0, tsl: {} } }, 'Unknown option "tcp.tsl"; did you mean "tcp.tls"?'],
    [{ sse: { pth: '/events' } }, 'Unknown option "sse.pth"; did you mean "sse.path"?'],
    [{ httpPublish: { token: 'a-long-enough-token', tokn: 'x' } }, 'Unknown option "httpPublish.tokn"; did you mean "httpPublish.token"?'],
    [{ store: { sqlite: { fiel: 'x.db' } } }, 'Unknown option "store.sqlite.fiel"; did you mean "store.sqlite.file"?'],
    [{ retention: [{ destinations: '/topic/**', message: 10 }] }, 'Unknown option "retention[0].message"; did you mean "retention[0].messages"?'],
    [{ queues: [{ destinations: '/queue/**', deadletter: '/queue/dlq' }] }, 'Unknown option "queues[0].deadletter"; did you mean "queues[0].deadLetter"?'],
  ])('refuses %p: %s', (config, message) => {
    const err = refusal(config);
    expect(err?.code).toBe('STOMP_ERR_INVALID_OPTION');
    expect(err?.message).toBe(message);
  });

  it('takes undefined for a known option as absent, as before', () => {
    expect(refusal({ maxFrameSize: undefined, staticDir: undefined, broker: undefined })).toBeUndefined();
  });
});
