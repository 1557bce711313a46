import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StompServer, VERSION, type StompServerOptions } from '../broker';
import { refuseUnknown } from '../broker/option-kit';
import { SERVER_OPTION_NAMES } from '../broker/options';
import { createReferenceApp, REFERENCE_QUEUES, REFERENCE_RETENTION, referenceStore } from '../examples/reference/app';
import { integer, parse } from './args';
import { CliError, EXIT } from './exit-codes';

export const SERVE_HELP = `Usage: stompbox serve [options]

Runs the broker. Settings come from flags, then environment variables, then a JSON config
file, then the reference app's defaults: endpoints /webServer and /queueServer (SockJS and
plain WebSocket), broker prefixes /topic, /user and /queue, no application prefix, the last
100 messages of /topic/** and /user/** retained for 5 minutes (option retention), every
/queue/<name> a queue with dead letters to /queue/DLQ.<name> after 3 redeliveries (option
queues), port 6032.

Options:
  -p, --port <n>             port (env PORT or STOMPBOX_PORT; default 6032; 0 picks a free one)
      --host <addr>          address to bind (env STOMPBOX_HOST; default all interfaces)
  -c, --config <file.json>   options file: { "port", "host", "demo", and any StompServer option }
                             (env STOMPBOX_CONFIG)
      --endpoint <path>      SockJS + WebSocket endpoint (repeatable; env STOMPBOX_ENDPOINTS, comma-separated)
      --broker-prefix <p>    broker destination prefix (repeatable; env STOMPBOX_BROKER_PREFIXES)
      --app-prefix <p>       application destination prefix (repeatable; env STOMPBOX_APP_PREFIXES)
      --static <dir>         serve the files of <dir> at / (env STOMPBOX_STATIC)
      --heartbeat <s,r>      server heart-beats in ms, e.g. 10000,10000 (env STOMPBOX_HEARTBEAT)
      --tcp-port <n|off>     STOMP over TCP on this port, bound like --host (env TCP_PORT;
                             default 61613; 0 picks a free one; off: none). A port in use is
                             logged once and HTTP still serves
      --base-path <prefix>   path prefix a reverse proxy serves us under and strips, e.g. /app
                             (env STOMPBOX_BASE_PATH; option publicBasePath)
      --demo                 run the reference app itself: its /subscribe and /queue handlers and
                             topic.html / queue.html (broker flags are then ignored)
  -h, --help                 this help

Example:
  stompbox serve --port 8080 --endpoint /ws --broker-prefix /topic --broker-prefix /queue`;

const FLAGS = {
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  config: { type: 'string', short: 'c' },
  endpoint: { type: 'string', multiple: true },
  'broker-prefix': { type: 'string', multiple: true },
  'app-prefix': { type: 'string', multiple: true },
  static: { type: 'string' },
  heartbeat: { type: 'string' },
  'base-path': { type: 'string' },
  'tcp-port': { type: 'string' },
  demo: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The reference app's broker settings: the defaults of `stompbox serve`. */
export const REFERENCE_SETTINGS: Readonly<StompServerOptions> = Object.freeze({
  endpoints: ['/webServer', '/queueServer'],
  brokerPrefixes: ['/topic', '/user', '/queue'],
  applicationPrefixes: [],
  userDestinationPrefix: '/user',
  // SPEC §6.1: the last 100 messages of every topic and user destination, for 5 minutes.
  retention: REFERENCE_RETENTION.map((r) => ({ ...r })),
  // SPEC §6.2: every /queue/<name> a queue, dead letters to /queue/DLQ.<name> after 3 redeliveries.
  queues: REFERENCE_QUEUES.map((r) => ({ ...r })),
});

interface ServeConfig extends StompServerOptions {
  port?: number;
  host?: string;
  demo?: boolean;
}

/** `stompbox serve`: resolves with the exit code once the server stopped (SIGINT, SIGTERM). */
export async function serve(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, FLAGS);
  if (values.help === true) {
    process.stdout.write(`${SERVE_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new CliError(`serve takes no arguments; received "${positionals.join(' ')}"`, EXIT.usage);
  const env = process.env;
  const file = readConfig(values.config ?? env.STOMPBOX_CONFIG);
  const list = (flag: string[] | undefined, variable: string | undefined): string[] | undefined =>
    flag ?? (variable === undefined || variable === '' ? undefined : variable.split(',').map((s) => s.trim()));
  const heartbeat = values.heartbeat ?? env.STOMPBOX_HEARTBEAT;
  const { port: filePort, host: fileHost, demo: fileDemo, ...fileOptions } = file;
  const options: StompServerOptions = {
    ...REFERENCE_SETTINGS,
    ...fileOptions,
    ...defined({
      endpoints: list(values.endpoint, env.STOMPBOX_ENDPOINTS),
      brokerPrefixes: list(values['broker-prefix'], env.STOMPBOX_BROKER_PREFIXES),
      applicationPrefixes: list(values['app-prefix'], env.STOMPBOX_APP_PREFIXES),
      staticDir: values.static ?? env.STOMPBOX_STATIC,
      heartbeat: heartbeat === undefined ? undefined : parseHeartbeat(heartbeat),
      publicBasePath: values['base-path'] ?? env.STOMPBOX_BASE_PATH,
    }),
  };
  const port = integer('port', values.port ?? env.PORT ?? env.STOMPBOX_PORT, filePort ?? 6032);
  const host = values.host ?? env.STOMPBOX_HOST ?? fileHost;
  const demo = values.demo === true || fileDemo === true;
  const tcp = tcpOption(values['tcp-port'] ?? env.TCP_PORT, fileOptions.tcp, host);
  options.tcp = tcp;
  const server = demo ? createReferenceApp({ publicBasePath: options.publicBasePath, tcp, publishToken: env.PUBLISH_TOKEN || undefined, store: fileOptions.store ?? referenceStore(env.STORE) }) : new StompServer(options);
  // Signal handlers first: whoever reads the banner below may signal us at once.
  let stopped!: (code: number) => void;
  const done = new Promise<number>((resolve) => (stopped = resolve));
  const stop = (): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    server
      .close()
      .then(() => new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }))
      .then(
        () => stopped(EXIT.ok),
        () => stopped(EXIT.failure),
      );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Our own HTTP server: without --demo it answers GET / with a page listing the endpoints
  // (the banner prints that address); everything else is the broker's.
  const http = createServer(demo || options.staticDir !== undefined ? undefined : indexPage(server));
  server.attach(http);
  const address = await listen(http, port, host);
  const tcpAddress = await server.tcpReady();
  const shown = host === undefined || host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const base = `${shown}:${address.port}${server.options.publicBasePath}`;
  const o = server.options;
  process.stdout.write(
    `stompbox listening on http://${base}/\n` +
      (demo ? `  demo pages: http://${base}/topic.html, http://${base}/queue.html\n` : '') +
      o.endpoints.map((e) => `  endpoint ${e}: SockJS http://${base}${e}, WebSocket ws://${base}${e}\n`).join('') +
      (o.tcp === undefined
        ? ''
        : tcpAddress === undefined
          ? `  STOMP over TCP: off, port ${o.tcp.port} could not be bound (another STOMP broker?); pass --tcp-port <n|0|off>\n`
          : `  STOMP over TCP${o.tcp.tls === undefined ? '' : ' (TLS)'}: ${shown}:${tcpAddress.port}\n`) +
      `  broker prefixes: ${o.brokerPrefixes.join(', ') || '(none)'}; application prefixes: ${o.applicationPrefixes.join(', ') || '(none)'}\n`,
  );
  return done;
}

function listen(http: HttpServer, port: number, host: string | undefined): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve(http.address() as AddressInfo);
    });
  });
}

/** The broker's paths, then GET / (and HEAD): a small page naming the version and the endpoints; other paths 404. */
function indexPage(server: StompServer): (req: IncomingMessage, res: ServerResponse) => void {
  // This listener comes before the broker's own: it hands the broker its paths first (SockJS,
  // /lib/, health), so the broker's listener finds them taken and every other path gets our 404.
  const broker = server.middleware();
  return (req, res) => {
    let ours = true;
    broker(req, res, () => (ours = false));
    if (ours) return;
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    const o = server.options;
    const items = o.endpoints.map((e) => `<li><code>${escapeHtml(e)}</code>: SockJS and WebSocket</li>`).join('');
    const body =
      `<!doctype html><html lang="en"><meta charset="utf-8"><title>stompbox</title>` +
      `<h1>stompbox ${VERSION}</h1><p>A STOMP broker. Endpoints:</p><ul>${items}</ul>` +
      (o.serveClientLibraries ? `<p>Browser client: <a href="lib/stompbox-client.js">lib/stompbox-client.js</a> (global <code>stompbox</code>), <a href="lib/stompbox-client.mjs">lib/stompbox-client.mjs</a>.</p>` : '') +
      `<p><code>stompbox serve --demo</code> serves the demo pages.</p></html>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-content-type-options': 'nosniff' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** What a config file may hold: `port`, `host`, `demo`, and the options of StompServer. */
const CONFIG_NAMES: ReadonlySet<string> = new Set(['port', 'host', 'demo', ...SERVER_OPTION_NAMES]);

function readConfig(file: string | undefined): ServeConfig {
  if (file === undefined || file === '') return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`Cannot read config file "${file}": ${(err as Error).message}`, EXIT.usage);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('expected a JSON object');
    // Every key goes to new StompServer(): a misspelt one is refused here, naming the file.
    refuseUnknown(parsed, CONFIG_NAMES);
    return parsed as ServeConfig;
  } catch (err) {
    throw new CliError(`Config file "${file}" is not valid: ${(err as Error).message}`, EXIT.usage);
  }
}

/** `--tcp-port` / env `TCP_PORT` over the config file's `tcp`, else port 61613; `off`: none. */
function tcpOption(value: string | undefined, file: StompServerOptions['tcp'], host: string | undefined): StompServerOptions['tcp'] {
  if (value === 'off') return undefined;
  if (value === undefined && file !== undefined) return { host, ...file };
  return { ...file, port: integer('tcp-port', value, 61613), host: file?.host ?? host };
}

function parseHeartbeat(value: string): [number, number] {
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(value);
  if (m === null) throw new CliError(`--heartbeat must be "<send ms>,<receive ms>"; received "${value}"`, EXIT.usage);
  return [Number(m[1]), Number(m[2])];
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
