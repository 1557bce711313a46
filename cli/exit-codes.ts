import { isClientError, type ClientErrorCode } from '../client';

/**
 * Exit codes of the `stompbox` command, one per kind of failure so scripts can branch on
 * them. Documented in the README's client section.
 */
export const EXIT = Object.freeze({
  ok: 0,
  failure: 1, // anything unexpected
  usage: 2, // bad flags or arguments, invalid option
  badUrl: 3, // the URL does not parse or has a scheme other than ws, wss, http, https
  unreachable: 4, // nothing answered at the URL, or the connection was lost
  stompError: 5, // the server sent an ERROR frame
  timeout: 6, // no CONNECTED or RECEIPT in time
});

const BY_CODE: Record<ClientErrorCode, number> = {
  CLIENT_ERR_INVALID_OPTION: EXIT.usage,
  CLIENT_ERR_UNSUPPORTED_BODY: EXIT.usage,
  CLIENT_ERR_BAD_URL: EXIT.badUrl,
  CLIENT_ERR_UNREACHABLE: EXIT.unreachable,
  CLIENT_ERR_CONNECTION_LOST: EXIT.unreachable,
  CLIENT_ERR_STOMP_ERROR: EXIT.stompError,
  CLIENT_ERR_REQUEST_FAILED: EXIT.stompError,
  CLIENT_ERR_TIMEOUT: EXIT.timeout,
  CLIENT_ERR_CLOSED: EXIT.failure,
};

/** A failure the CLI reports with a message and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The exit code and message for any error thrown by a command. */
export function describeFailure(err: unknown): { code: number; message: string } {
  if (err instanceof CliError) return { code: err.exitCode, message: err.message };
  if (isClientError(err)) {
    const detail = err.detail !== undefined && err.detail !== '' && !err.message.includes(err.detail) ? ` (${err.detail.trim()})` : '';
    const stompCode = err.stompCode !== undefined ? ` [${err.stompCode}]` : '';
    return { code: BY_CODE[err.code], message: `${err.message}${stompCode}${detail}` };
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'STOMP_ERR_INVALID_OPTION' || code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return { code: EXIT.usage, message: (err as Error).message };
  }
  return { code: EXIT.failure, message: err instanceof Error ? err.message : String(err) };
}
