/**
 * The client's error catalog: every failure the client reports carries one of these stable
 * codes, so callers (and the CLI's exit codes) can tell them apart without parsing messages.
 *
 * | code | when |
 * |---|---|
 * | `CLIENT_ERR_INVALID_OPTION` | an option or argument is out of range; the message names it |
 * | `CLIENT_ERR_BAD_URL` | the URL does not parse or its scheme is not ws, wss, http or https |
 * | `CLIENT_ERR_UNREACHABLE` | no transport could open a connection to the server |
 * | `CLIENT_ERR_STOMP_ERROR` | the server sent an ERROR frame (`stompCode` holds its `code` header) |
 * | `CLIENT_ERR_TIMEOUT` | connecting, a receipt or a reply took longer than allowed |
 * | `CLIENT_ERR_CONNECTION_LOST` | the connection closed before a receipt arrived |
 * | `CLIENT_ERR_CLOSED` | the client was closed by `close()` |
 * | `CLIENT_ERR_REQUEST_FAILED` | the handler of a request failed (message on `/user/queue/errors`) |
 * | `CLIENT_ERR_UNSUPPORTED_BODY` | a body cannot travel on the transport in use (bytes over SockJS) |
 */
export type ClientErrorCode =
  | 'CLIENT_ERR_INVALID_OPTION'
  | 'CLIENT_ERR_BAD_URL'
  | 'CLIENT_ERR_UNREACHABLE'
  | 'CLIENT_ERR_STOMP_ERROR'
  | 'CLIENT_ERR_TIMEOUT'
  | 'CLIENT_ERR_CONNECTION_LOST'
  | 'CLIENT_ERR_CLOSED'
  | 'CLIENT_ERR_REQUEST_FAILED'
  | 'CLIENT_ERR_UNSUPPORTED_BODY';

/**
 * The one error class of the client. `code` is stable; `message` is for people.
 *
 * @example
 * try { await client.connect(); } catch (err) { if (isClientError(err, 'CLIENT_ERR_UNREACHABLE')) retryLater(); }
 */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  /** The server's `code` header (for `CLIENT_ERR_STOMP_ERROR` and `CLIENT_ERR_REQUEST_FAILED`), e.g. `STOMP_ERR_FORBIDDEN`. */
  readonly stompCode: string | undefined;
  /** Detail from the server: the ERROR frame body, or the failed handler's report. */
  readonly detail: string | undefined;

  constructor(
    readonly code: ClientErrorCode,
    message: string,
    extra: { stompCode?: string; detail?: string } = {},
  ) {
    super(message);
    this.stompCode = extra.stompCode;
    this.detail = extra.detail;
  }
}

/** True when `err` is a {@link ClientError}, optionally with the given code. */
export function isClientError(err: unknown, code?: ClientErrorCode): err is ClientError {
  return err instanceof ClientError && (code === undefined || err.code === code);
}
