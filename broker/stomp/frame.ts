/**
 * STOMP frames as the broker sees them. A frame is a command, an ordered header map and a body
 * of bytes (STOMP 1.2 §"STOMP Frames"). Header names such as `__proto__` are plain data here:
 * headers live in a `Map`, never in an object's properties.
 */

/** Frames a client sends (STOMP 1.2 §"Client Frames"). */
export type ClientCommand =
  | 'CONNECT'
  | 'STOMP'
  | 'SEND'
  | 'SUBSCRIBE'
  | 'UNSUBSCRIBE'
  | 'ACK'
  | 'NACK'
  | 'BEGIN'
  | 'COMMIT'
  | 'ABORT'
  | 'DISCONNECT';

/** Frames a server sends (STOMP 1.2 §"Server Frames"). */
export type ServerCommand = 'CONNECTED' | 'MESSAGE' | 'RECEIPT' | 'ERROR';

export type Command = ClientCommand | ServerCommand;

/** Ordered headers; the first occurrence of a repeated header wins (STOMP 1.2 §"Repeated Header Entries"). */
export type Headers = Map<string, string>;

export interface Frame {
  readonly command: Command;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

export const CLIENT_COMMANDS: ReadonlySet<string> = new Set<ClientCommand>([
  'CONNECT', 'STOMP', 'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK', 'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT',
]);

export const SERVER_COMMANDS: ReadonlySet<string> = new Set<ServerCommand>(['CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR']);

export const EMPTY_BODY = new Uint8Array(0);

export const LF = 0x0a; // '\n'
export const CR = 0x0d; // '\r'
export const NUL = 0x00; // '\0'
export const COLON = 0x3a; // ':'
