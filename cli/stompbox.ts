#!/usr/bin/env node
/**
 * The `stompbox` command: `serve` runs the broker, `sub` prints what a destination receives,
 * `pub` sends messages. Exit codes are listed in exit-codes.ts and the README.
 */
import { VERSION } from '../broker/version';
import { describeFailure, EXIT } from './exit-codes';
import { pub } from './pub';
import { serve } from './serve';
import { sub } from './sub';

const HELP = `Usage: stompbox <command> [options]

Commands:
  serve                                run the broker (reference app settings by default)
  sub <url> <destination>              print the messages sent to a destination
  pub <url> <destination> [body | -]   send one message, or one per input line

Run "stompbox <command> --help" for the options of a command;
"stompbox --version" prints the version.

Exit codes: 0 ok, 1 unexpected failure, 2 usage, 3 bad URL, 4 unreachable,
            5 ERROR frame from the server, 6 timeout`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = { serve, sub, pub };

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${HELP}\n`);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const run = COMMANDS[command];
  if (run === undefined) {
    process.stderr.write(`stompbox: unknown command "${command}"\n\n${HELP}\n`);
    return EXIT.usage;
  }
  try {
    return await run(rest);
  } catch (err) {
    const { code, message } = describeFailure(err);
    process.stderr.write(`stompbox ${command}: ${message}\n`);
    return code;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Let stdout drain before exiting (a pipe may still hold output).
    process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`stompbox: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(EXIT.failure);
  },
);
