import { createInterface } from 'node:readline';
import { StompboxClient } from '../client';
import { clientOptions, CONNECTION_FLAGS, CONNECTION_HELP, headers, parse } from './args';
import { CliError, EXIT } from './exit-codes';

export const PUB_HELP = `Usage: stompbox pub <url> <destination> [body | -] [options]

Sends <body> as one message, or one message per line of standard input with "-" (also when
no body is given and input is piped). A body that parses as a JSON object or array travels as
application/json, anything else as text. Exits once the server confirmed every message.

Options:
      --content-type <type>  content-type of every message (overrides the guess)
${CONNECTION_HELP}

Examples:
  stompbox pub ws://localhost:6032/webServer /subscribe '{"name":"zhangsan"}'
  printf 'a\\nb\\n' | stompbox pub http://localhost:6032/webServer /topic/lines -`;

const FLAGS = { ...CONNECTION_FLAGS, 'content-type': { type: 'string' } } as const;

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
