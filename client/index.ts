/**
 * stompbox client: a typed STOMP client on @stomp/stompjs for Node and browsers. This module
 * is the public API.
 */
export {
  StompboxClient,
  type ClientEvents,
  type ConnectionState,
  type PublishOptions,
  type RequestOptions,
  type StateChange,
  type SubscribeOptions,
  type Unsubscribe,
} from './client';
export { positionOf, type ResumeInfo, type StreamPosition, type StreamStart } from './stream';
export { CLIENT_DEFAULTS, resolveClientOptions, type ClientOptions, type ReconnectOptions, type ResolvedClientOptions, type TlsClientOptions, type TransportMode, type WebSocketConstructor } from './options';
export { ClientError, isClientError, type ClientErrorCode } from './errors';
export type { MessageHandler, ReceivedMessage } from './message';
export { decodeBody, encodeBody, type Body } from './body';
export { backoffDelay } from './backoff';
export { endpointUrls, type TransportKind } from './transport';
