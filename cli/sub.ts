import { isClientError, StompboxClient, type ReceivedMessage, type StreamStart } from '../client';
import { clientOptions, CONNECTION_FLAGS, CONNECTION_HELP, headers, integer, parse } from './args';
import { CliError, EXIT } from './exit-codes';

export const SUB_HELP = `Usage: stompbox sub <url> <destination> [options]

Prints each message sent to <destination> as it arrives: pretty JSON on a terminal, one line
per message when piped (JSON compact, text as is, bytes as base64). Reconnects when the
connection drops; Ctrl-C ends it.

  <url>   e.g. ws://localhost:6032/webServer, http://localhost:6032/webServer (SockJS),
          tcp://localhost:61613 (STOMP over TCP)

Options:
  -n, --count <n>                  exit after n messages
  -f, --format <pretty|line|json>  output format (json: one envelope per line with headers)
      --from <position>            start in the destination's history (a retained destination):
                                   first, last, next (live only, the default), an offset, or an
                                   ISO time (2026-01-31T12:00:00Z: the first message at or after it)
      --ack <mode>                 auto (the default), client or client-individual: on a queue,
                                   each message is acknowledged once printed (ACK), so an
                                   interrupted sub leaves the rest to other consumers
      --prefetch <n>               prefetch-count: most unacknowledged messages at a time
      --selector <expr>            only messages this selector is TRUE for, e.g. "region = 'eu'"
  -v, --verbose                    print each message's offset before it ([offset]), and on
                                   stderr whether a resume after a reconnect was complete
${CONNECTION_HELP}

Example:
  stompbox sub ws://localhost:6032/webServer /topic/getResponse | grep zhangsan
  stompbox sub ws://localhost:6032/queueServer /user/zhangsan/message --from first --verbose
  stompbox sub ws://localhost:6032/queueServer /queue/jobs --ack client-individual --selector "priority > 5"
  stompbox sub tcp://localhost:61613 /topic/getResponse`;

const FLAGS = {
  ...CONNECTION_FLAGS,
  count: { type: 'string', short: 'n' },
  format: { type: 'string', short: 'f' },
  from: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  ack: { type: 'string' },
  prefetch: { type: 'string' },
  selector: { type: 'string' },
} as const;

const ACK_MODES = ['auto', 'client', 'client-individual'] as const;
type AckMode = (typeof ACK_MODES)[number];

type Format = 'pretty' | 'line' | 'json';

/** `stompbox sub`: resolves with the exit code once done (count reached, interrupted, failed). */
export async function sub(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, FLAGS);
  if (values.help === true) {
    process.stdout.write(`${SUB_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length !== 2) throw new CliError(`sub needs <url> <destination>; received ${positionals.length} arguments (see stompbox sub --help)`, EXIT.usage);
  const [url, destination] = positionals;
  const count = integer('count', values.count, 0);
  const format = (values.format ?? (process.stdout.isTTY ? 'pretty' : 'line')) as Format;
  if (!['pretty', 'line', 'json'].includes(format)) throw new CliError(`--format must be pretty, line or json; received "${format}"`, EXIT.usage);
  const from = values.from === undefined ? undefined : startOf(values.from);
  const verbose = values.verbose === true;
  const ack = (values.ack ?? 'auto') as AckMode;
  if (!ACK_MODES.includes(ack)) throw new CliError(`--ack must be auto, client or client-individual; received "${values.ack}"`, EXIT.usage);
  const subscribeHeaders = headers(values.header);
  if (values.prefetch !== undefined) {
    const prefetch = integer('prefetch', values.prefetch, 0);
    if (prefetch < 1) throw new CliError(`--prefetch must be an integer ≥ 1; received "${values.prefetch}"`, EXIT.usage);
    subscribeHeaders['prefetch-count'] = String(prefetch);
  }
  if (values.selector !== undefined) subscribeHeaders.selector = values.selector;
  const client = new StompboxClient(clientOptions(url, values));
  await client.connect();

  return new Promise<number>((resolve) => {
    let received = 0;
    const finish = (code: number, message?: string): void => {
      if (message !== undefined) process.stderr.write(`stompbox sub: ${message}\n`);
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
      void client.close().then(() => resolve(code));
    };
    const interrupted = (): void => finish(EXIT.ok);
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    client.on('state', (s) => {
      if (s.state === 'reconnecting') process.stderr.write(`stompbox sub: ${s.error?.message ?? 'connection lost'}; reconnecting in ${s.delay} ms\n`);
      if (s.state === 'connected' && s.previous === 'reconnecting') process.stderr.write(`stompbox sub: reconnected (${s.transport})\n`);
    });
    client.on('error', (err) => {
      if (err.stompCode !== 'STOMP_ERR_SERVER_SHUTDOWN') finish(EXIT.stompError, `${err.message}${err.stompCode ? ` [${err.stompCode}]` : ''}`);
    });
    client.on('resumed', (r) => {
      if (!verbose) return;
      const where = r.from === undefined ? String(values.from ?? 'next') : `offset ${r.from.offset + 1} (epoch ${r.from.epoch})`;
      process.stderr.write(`stompbox sub: ${r.reconnect ? 'resumed' : 'started'} at ${where}: ${r.recovered ? 'complete' : 'incomplete, messages were lost'}\n`);
    });
    const unsubscribe = client.subscribe(destination, (_body, message) => {
      const offset = message.headers['x-stream-offset'];
      if (verbose && format !== 'json' && offset !== undefined) process.stdout.write(`[${offset}] `);
      process.stdout.write(render(message, format));
      if (ack !== 'auto') message.ack();
      if (count > 0 && ++received >= count) {
        unsubscribe();
        finish(EXIT.ok);
      }
    }, { headers: subscribeHeaders, from, ack });
    // After each (re)connect, once the server confirmed the SUBSCRIBE.
    client.on('subscribed', () => process.stderr.write(`stompbox sub: subscribed to ${destination} via ${client.transport?.kind ?? '?'}\n`));
    unsubscribe.ready.catch(
      (err: unknown) => {
        if (isClientError(err, 'CLIENT_ERR_CLOSED')) return;
        finish(isClientError(err, 'CLIENT_ERR_STOMP_ERROR') ? EXIT.stompError : EXIT.failure, (err as Error).message);
      },
    );
  });
}

/** `--from`: first, last, next, an offset, or an ISO time. */
export function startOf(value: string): StreamStart {
  if (value === 'first' || value === 'last' || value === 'next') return value;
  if (/^\d{1,15}$/.test(value)) return Number(value);
  const time = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? new Date(value) : undefined;
  if (time !== undefined && !Number.isNaN(time.getTime())) return time;
  throw new CliError(`--from must be first, last, next, an offset or an ISO time; received "${value}"`, EXIT.usage);
}

/** One message as printed. */
export function render(message: ReceivedMessage, format: Format): string {
  const body = message.body;
  if (format === 'json') return `${JSON.stringify({ destination: message.destination, headers: message.headers, body: jsonable(body) })}\n`;
  if (format === 'pretty') {
    const text = body instanceof Uint8Array ? `<${body.length} bytes> ${base64(body)}` : typeof body === 'string' ? body : JSON.stringify(body, null, 2);
    return `${text}\n`;
  }
  if (body instanceof Uint8Array) return `${base64(body)}\n`;
  if (typeof body === 'string') return `${/[\r\n]/.test(body) ? JSON.stringify(body) : body}\n`;
  return `${JSON.stringify(body)}\n`;
}

function jsonable(body: unknown): unknown {
  return body instanceof Uint8Array ? { base64: base64(body) } : body;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
