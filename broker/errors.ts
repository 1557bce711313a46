/**
 * The error catalog: every protocol or configuration fault the broker reports carries one of
 * these stable codes. Clients see the code in the `code` header of an ERROR frame; tests and
 * operators match on it. The README's error table documents each one.
 */
export type ErrorCode =
  | 'STOMP_ERR_INVALID_OPTION'
  | 'STOMP_ERR_MALFORMED_FRAME'
  | 'STOMP_ERR_MALFORMED_SOCKJS_MESSAGE'
  | 'STOMP_ERR_UNKNOWN_COMMAND'
  | 'STOMP_ERR_INVALID_ESCAPE'
  | 'STOMP_ERR_INVALID_CONTENT_LENGTH'
  | 'STOMP_ERR_FRAME_TOO_LARGE'
  | 'STOMP_ERR_TOO_MANY_HEADERS'
  | 'STOMP_ERR_HEADER_TOO_LONG'
  | 'STOMP_ERR_MISSING_HEADER'
  | 'STOMP_ERR_INVALID_HEADER'
  | 'STOMP_ERR_NOT_CONNECTED'
  | 'STOMP_ERR_ALREADY_CONNECTED'
  | 'STOMP_ERR_UNSUPPORTED_VERSION'
  | 'STOMP_ERR_CONNECT_TIMEOUT'
  | 'STOMP_ERR_HEARTBEAT_TIMEOUT'
  | 'STOMP_ERR_DUPLICATE_SUBSCRIPTION'
  | 'STOMP_ERR_UNKNOWN_SUBSCRIPTION'
  | 'STOMP_ERR_TOO_MANY_SUBSCRIPTIONS'
  | 'STOMP_ERR_INVALID_ACK_MODE'
  | 'STOMP_ERR_UNKNOWN_ACK'
  | 'STOMP_ERR_UNKNOWN_TRANSACTION'
  | 'STOMP_ERR_DUPLICATE_TRANSACTION'
  | 'STOMP_ERR_TRANSACTION_LIMIT'
  | 'STOMP_ERR_BACKLOG_LIMIT'
  | 'STOMP_ERR_INVALID_DESTINATION'
  | 'STOMP_ERR_INVALID_SELECTOR'
  | 'STOMP_ERR_QUEUE_FULL'
  | 'STOMP_ERR_NO_HANDLER'
  | 'STOMP_ERR_HANDLER_FAILED'
  | 'STOMP_ERR_INVALID_PAYLOAD'
  | 'STOMP_ERR_INVALID_JSON'
  | 'STOMP_ERR_UNAUTHORIZED'
  | 'STOMP_ERR_FORBIDDEN'
  | 'STOMP_ERR_RATE_LIMITED'
  | 'STOMP_ERR_SLOW_CONSUMER'
  | 'STOMP_ERR_TOO_MANY_CONNECTIONS'
  | 'STOMP_ERR_STORE_UNAVAILABLE'
  | 'STOMP_ERR_STORE_FULL'
  | 'STOMP_ERR_SERVER_SHUTDOWN'
  | 'STOMP_ERR_RELAY_UNAVAILABLE'
  | 'STOMP_ERR_BROKER_UNAVAILABLE'
  | 'STOMP_ERR_TLS_REQUIRED'
  | 'STOMP_ERR_INTERNAL';

/**
 * The one error class of the broker. `code` is stable; `message` is for people and names the
 * option or header at fault and what was received.
 *
 * @example
 * throw new StompError('STOMP_ERR_MISSING_HEADER', 'SUBSCRIBE needs a "destination" header');
 */
export class StompError extends Error {
  override readonly name = 'StompError';
  /** Extra detail for the ERROR frame body; never a stack trace. */
  readonly detail: string | undefined;

  constructor(readonly code: ErrorCode, message: string, detail?: string) {
    super(message);
    this.detail = detail;
  }
}

/** True when `err` is a {@link StompError}, optionally with the given code. */
export function isStompError(err: unknown, code?: ErrorCode): err is StompError {
  return err instanceof StompError && (code === undefined || err.code === code);
}
