import { createInterface } from 'node:readline';
import { StompboxClient } from '../client';
import { clientOptions, CONNECTION_FLAGS, CONNECTION_HELP, headers, parse } from './args';
import { CliError, EXIT } from './exit-codes';
import { HttpPublisher } from './pub-http';

export const PUB_HELP = `Usage: stompbox pub <url> <destination> [body | -] [options]

Sends <body> as one message, or one message per line of standard input with "-" (also when
no body is given and input is piped). A body that parses as a JSON object or array travels as
application/json, anything else as text. Exits once the server confirmed every message.

Options:
      --content-type <type>  content-type of every message (overrides the guess)
      --http                 POST to the server's HTTP publish endpoint instead (<url> is
                             http://host:port/publish); no STOMP connection
      --token <token>        bearer token for --http (env STOMPBOX_PUBLISH_TOKEN)
${CONNECTION_HELP}

Examples:
  stompbox pub ws://localhost:6032/webServer /subscribe '{"name":"zhangsan"}'
  printf 'a\\nb\\n' | stompbox pub http://localhost:6032/webServer /topic/lines -
  stompbox pub --http --token "$PUBLISH_TOKEN" http://localhost:6032/publish /topic/getResponse hello
  stompbox pub tcp://localhost:61613 /topic/getResponse hello
  stompbox pub --ca ca.pem tls://broker.example:61614 /topic/getResponse hello`;

const FLAGS = { ...CONNECTION_FLAGS, 'content-type': { type: 'string' }, http: { type: 'boolean' }, token: { type: 'string' } } as const;

/** `stompbox pub`: resolves with the exit code once every message was confirmed. */
export async function pub(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, FLAGS);
  if (values.help === true) {
    process.stdout.write(`${PUB_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length < 2 || positionals.length > 3) {
    throw new CliError(`pub needs <url> <destination> [body | -]; received ${positionals.length} arguments (see stompbox pub --help)`, EXIT.usage);
  }
  const [url, destination, body] = positionals;
  const fromStdin = body === '-' || (body === undefined && !process.stdin.isTTY);
  if (body === undefined && !fromStdin) throw new CliError('pub needs a body, or "-" to read lines from standard input', EXIT.usage);
  const extra = headers(values.header);
  const contentType = values['content-type'];
  if (values.http === true) return pubHttp(url, destination, fromStdin ? undefined : body!, contentType, values);
  if (values.token !== undefined) throw new CliError('--token goes with --http', EXIT.usage);
  const client = new StompboxClient({ ...clientOptions(url, values), reconnect: false });
  try {
    await client.connect();
    const send = (text: string, receipt: boolean): Promise<void> => {
      const h = { ...extra, 'content-type': contentType ?? guessType(text) };
      return client.publish(destination, text, h, { receipt });
    };
    if (!fromStdin) {
      await send(body!, true);
    } else {
      // Every line but the last goes without a receipt; the last one's receipt confirms them all
      // (a session handles frames in order, and an ERROR would have closed it first).
      let previous: string | undefined;
      for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
        if (previous !== undefined) await send(previous, false);
        previous = line;
      }
      if (previous !== undefined) await send(previous, true);
    }
    return EXIT.ok;
  } finally {
    await client.close();
  }
}

/** `pub --http`: each message (the body, or each input line) as one POST, in order. */
async function pubHttp(url: string, destination: string, body: string | undefined, contentType: string | undefined, values: Record<string, unknown>): Promise<number> {
  if (values.header !== undefined || values.login !== undefined || values.passcode !== undefined || values.transport !== undefined) {
    throw new CliError('--http sends no STOMP: --header, --login, --passcode and --transport do not apply', EXIT.usage);
  }
  const token = (values.token as string | undefined) ?? process.env.STOMPBOX_PUBLISH_TOKEN;
  const timeout = Number((values.timeout as string | undefined) ?? 10000);
  if (!Number.isInteger(timeout) || timeout < 1) throw new CliError(`--timeout must be a positive integer; received "${String(values.timeout)}"`, EXIT.usage);
  const publisher = new HttpPublisher(url, destination, token, timeout);
  const send = (text: string): Promise<void> => publisher.publish({ body: text, contentType: contentType ?? guessType(text) });
  try {
    if (body !== undefined) await send(body);
    else for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) await send(line);
    return EXIT.ok;
  } finally {
    publisher.close();
  }
}

/** application/json for a JSON object or array, text otherwise. */
function guessType(text: string): string {
  const t = text.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      JSON.parse(t);
      return 'application/json';
    } catch {
      // not JSON after all
    }
  }
  return 'text/plain;charset=UTF-8';
}
