import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ClientOptions, TlsClientOptions, TransportMode } from '../client';
import { CliError, EXIT } from './exit-codes';

/** Flags shared by `sub` and `pub`. */
export const CONNECTION_FLAGS = {
  transport: { type: 'string', short: 't' },
  'sockjs-transport': { type: 'string', multiple: true },
  login: { type: 'string' },
  passcode: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
  timeout: { type: 'string' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const CONNECTION_HELP = `  <url> may also be tcp://host:port (STOMP over TCP, default port 61613) or tls://host:port
  (also stomp+ssl://, ssl://; STOMP over TLS, default port 61614): a STOMP broker's own port.

Connection options:
  -t, --transport <websocket|sockjs|auto>  how to reach the server (default: auto, WebSocket first; not for tcp:// and tls://)
      --sockjs-transport <name>            allow only this SockJS transport (repeatable), e.g. xhr-streaming
      --login <name>, --passcode <secret>  CONNECT credentials
  -H, --header <name:value>                extra header on each frame sent (repeatable)
      --timeout <ms>                       time allowed to connect and for receipts (default: 10000)
      --ca <file>                          tls://: PEM CA(s) to trust instead of the system's
      --cert <file>, --key <file>          tls://: a client certificate and its key (PEM)
  -h, --help                               this help`;

/** Flag values by name (string, string[] for repeatable flags, boolean) and the positionals. */
export interface ParsedArgs {
  readonly values: { readonly [flag: string]: any };
  readonly positionals: string[];
}

/** Parses argv by a flag table; unknown flags are usage errors. */
export function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>): ParsedArgs {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.usage);
  }
}

/** A non-negative integer flag. */
export function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`--${name} must be a non-negative integer; received "${value}"`, EXIT.usage);
  return n;
}

/** `name:value` pairs of repeated `--header` flags. */
export function headers(values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const colon = v.indexOf(':');
    if (colon <= 0) throw new CliError(`--header must be "name:value"; received "${v}"`, EXIT.usage);
    out[v.slice(0, colon).trim()] = v.slice(colon + 1).trim();
  }
  return out;
}

/** Client options from the shared connection flags. */
export function clientOptions(url: string, values: Record<string, unknown>): ClientOptions {
  const transport = (values.transport as string | undefined) ?? 'auto';
  if (!['websocket', 'sockjs', 'auto'].includes(transport)) {
    throw new CliError(`--transport must be websocket, sockjs or auto; received "${transport}"`, EXIT.usage);
  }
  const timeout = integer('timeout', values.timeout as string | undefined, 10000) || 1;
  const connectHeaders: Record<string, string> = {};
  if (values.login !== undefined) connectHeaders.login = values.login as string;
  if (values.passcode !== undefined) connectHeaders.passcode = values.passcode as string;
  const tcp = /^(tcp|stomp|tls|ssl|tcps|stomp\+ssl|stomp\+tls|stomps):/i.test(url);
  if (tcp && values.transport !== undefined) throw new CliError(`--transport does not apply to ${url.split(':')[0]}:// URLs (STOMP over TCP is their only transport)`, EXIT.usage);
  const tls = tlsOptions(values);
  if (tls !== undefined && !/^(tls|ssl|tcps|stomp\+ssl|stomp\+tls|stomps):/i.test(url)) throw new CliError('--ca, --cert and --key go with tls:// (stomp+ssl://) URLs', EXIT.usage);
  return {
    url,
    tls,
    // A STOMP port may be any broker's (RabbitMQ refuses a SUBSCRIBE to stompbox's /user/queue/errors).
    ...(tcp ? { errorQueue: '' } : {}),
    transport: transport as TransportMode,
    sockjsTransports: values['sockjs-transport'] as string[] | undefined,
    connectHeaders,
    connectTimeout: timeout,
    timeout,
  };
}

/** `--ca`, `--cert`, `--key`: PEM files for tls:// URLs. */
function tlsOptions(values: Record<string, unknown>): TlsClientOptions | undefined {
  const read = (flag: string): Buffer | undefined => {
    const file = values[flag] as string | undefined;
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new CliError(`--${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
    }
  };
  const ca = read('ca');
  const cert = read('cert');
  const key = read('key');
  if ((cert === undefined) !== (key === undefined)) throw new CliError('--cert and --key go together', EXIT.usage);
  if (ca === undefined && cert === undefined) return undefined;
  return { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert, key }) };
}
