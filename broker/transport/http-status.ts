import type { ErrorCode } from '../errors';

/** The HTTP status of a refusal by its STOMP error code (SSE and HTTP publish answer with these). */
const STATUS: Partial<Record<ErrorCode, number>> = {
  STOMP_ERR_UNAUTHORIZED: 401,
  STOMP_ERR_FORBIDDEN: 403,
  STOMP_ERR_NO_HANDLER: 404,
  STOMP_ERR_FRAME_TOO_LARGE: 413,
  STOMP_ERR_RATE_LIMITED: 429,
  STOMP_ERR_TOO_MANY_CONNECTIONS: 503,
  STOMP_ERR_SERVER_SHUTDOWN: 503,
  STOMP_ERR_BACKLOG_LIMIT: 503,
  STOMP_ERR_CONNECT_TIMEOUT: 504, // authenticate did not answer within connectTimeout
  STOMP_ERR_SLOW_CONSUMER: 503,
  STOMP_ERR_INTERNAL: 500,
  STOMP_ERR_HANDLER_FAILED: 500,
};

/** 400 for what the request got wrong (destination, headers, payload), the table above otherwise. */
export function httpStatusOf(code: string | undefined): number {
  if (code === undefined) return 500;
  return STATUS[code as ErrorCode] ?? (code.startsWith('STOMP_ERR_') ? 400 : 500);
}
