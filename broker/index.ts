/**
 * stompbox: a STOMP 1.0–1.2 broker for Node.js over WebSocket and SockJS, with the
 * programming model of Spring's simple broker. This module is the public API.
 */
export { StompServer, type StompServerConfig, type StompServerEvents } from './server';
export { DEFAULTS, resolveOptions, type StompServerOptions, type ResolvedOptions, type TcpOptions } from './options';
export { StompError, isStompError, type ErrorCode } from './errors';
export { VERSION } from './version';
export { silentLogger, createStderrLogger, type Logger, type LogLevel, type StderrLoggerOptions } from './logger';
export type { MessageContext, MessageHandler, SubscribeHandler } from './app/message-context';
export type { ReplyOptions, PayloadSchema } from './app/handler-registry';
export {
  MessageMapping,
  SubscribeMapping,
  SendTo,
  SendToUser,
  MessageExceptionHandler,
  ControllerAdvice,
  type ErrorClass,
  type MessageMappingOptions,
  type SendToUserOptions,
  type StompMethodDecorator,
  type StompClassDecorator,
  type StompClassOrMethodDecorator,
} from './app/decorators';
export { ValidationError } from './app/dispatcher';
export type { Interceptor, InterceptedSession } from './app/interceptors';
export type { SessionEventInfo } from './app/events';
export type { Authenticate, AuthenticateRequest, HandshakeRequest, Principal } from './security/authenticate';
export type { AuthorizationOptions, DestinationRule, Access, AccessRequest } from './security/authorization';
export { ERRORS_DESTINATION, REPLY_DESTINATION } from './app/dispatcher';
export { SimpleBroker } from './messaging/simple-broker';
export { BrokerMessage, nextMessageId, type HeaderPair } from './messaging/broker-message';
export { SubscriptionRegistry } from './messaging/subscription-registry';
export { MessagingTemplate } from './messaging/messaging-template';
export { toMessage, fromBody, type Payload } from './messaging/message-converter';
export type { AckMode, MessageBroker, SessionId, Subscriber, Subscription } from './messaging/message-broker';
export type { CloseReason } from './session/session-host';
export type { ClientCertificate, Connection, TransportName, HandshakeInfo } from './transport/connection';
export { SSE_DEFAULTS, type SseOptions, type ResolvedSseOptions } from './transport/sse/sse-options';
export { HTTP_PUBLISH_DEFAULTS, type HttpPublishOptions, type ResolvedHttpPublishOptions } from './transport/http-publish/publish-options';
export type { StompVersion } from './stomp/versions';
export { RedisBroker, type RedisBrokerOptions, type RedisBrokerStats } from './cluster/redis-broker';
export type { RedisLike, RedisConnectionOptions } from './cluster/redis-types';
export type { NodeId } from './cluster/cluster-message';
export { StompBrokerRelay, type StompBrokerRelayOptions } from './cluster/broker-relay';
export type { Authenticated, FrameRelay, RelayGuard } from './session/session-host';
export type { SessionState, StompSession } from './session/stomp-session';
export type { BrokerStats } from './operations/operations';
export { SESSION_NOT_RELIABLE, type SlowConsumerPolicy } from './operations/flow-control';
export { Retention, RetainingBroker, type PublishReceipt, type HistorySubscribed } from './retention/retention';
export { MemoryMessageStore } from './retention/memory-store';
export { userHistoryKey } from './retention/message-store';
export type {
  MessageStore,
  Offset,
  HistoryKey,
  HistoryHead,
  HistoryRead,
  RetainedMessage,
  RetentionLimits,
  ReadFrom,
  Appended,
  StoreStats,
} from './retention/message-store';
export type { RetentionRule } from './retention/retention-rules';
export type { StreamPosition } from './retention/stream-position';
export { MemoryQueueStore } from './queues/queue-store';
export type { QueueStore, QueueEntry, QueueKey, LoadedEntry, QueueStoreStats, RemoveReason } from './queues/queue-store';
export type { StoreOption, SqliteStoreOptions } from './store/store-options';
export type { StoreFileStats } from './store/store-stats';
export { QUEUE_RULE_DEFAULTS, type QueueRule, type OverflowPolicy, type ExpiredPolicy } from './queues/queue-rules';
export type { QueueStats } from './queues/queue-stats';
export type { QueueCounts } from './queues/message-queue';
export { QueueEngine, type DeadLetterReason } from './queues/queue-engine';
export { compileSelector, CompiledSelector, type SelectorTruth } from './selectors';
