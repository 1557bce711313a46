import type { FrameRelay } from './session/session-host';
import type { Authenticate } from './security/authenticate';
import type { AuthorizationOptions } from './security/authorization';
import type { Interceptor } from './app/interceptors';
import type { MessageBroker } from './messaging/message-broker';
import type { MessageStore } from './retention/message-store';
import type { QueueStore } from './queues/queue-store';
import { refuseUnknown } from './option-kit';
import { SERVER_OPTION_NAMES, type StompServerOptions } from './options';

/** Options of `StompServer`: the validated options plus the pluggable parts. */
export interface StompServerConfig extends StompServerOptions {
  /** The message broker (the cluster seam). @defaultValue a new in-memory `SimpleBroker` */
  broker?: MessageBroker;
  /** Relay broker destinations to an external STOMP broker (cluster/broker-relay.ts); its `broker` becomes the default broker. */
  relay?: FrameRelay;
  /**
   * Decides who a CONNECT is, from the HTTP handshake and the CONNECT headers; refusing
   * answers ERROR `STOMP_ERR_UNAUTHORIZED` and closes.
   * @defaultValue none: the CONNECT `login` header names the principal (a development convenience)
   */
  authenticate?: Authenticate;
  /** Per-destination rules for SEND and SUBSCRIBE (`STOMP_ERR_FORBIDDEN`). @defaultValue none: everything allowed */
  authorization?: AuthorizationOptions;
  /** Inbound and outbound interceptors, in order (more with `intercept()`). @defaultValue `[]` */
  interceptors?: Interceptor[];
  /**
   * Where retained messages live (the store seam, docs/retention.md).
   * @defaultValue the broker's own when it has one (`RedisBroker`: Redis streams), else a new `MemoryMessageStore` of `retentionBytes`
   */
  messageStore?: MessageStore;
  /** Where queue messages are recorded (the queue store seam, docs/queues.md). @defaultValue a new `MemoryQueueStore`: nothing survives a restart */
  queueStore?: QueueStore;
}

/** The pluggable parts of {@link StompServerConfig}: taken by the server itself, not by `resolveOptions`. */
const SERVER_PARTS = ['broker', 'relay', 'authenticate', 'authorization', 'interceptors', 'messageStore', 'queueStore'] as const;
/** Every name `new StompServer()` accepts: the options (options.ts) and the parts. */
const SERVER_CONFIG_NAMES: ReadonlySet<string> = new Set([...SERVER_OPTION_NAMES, ...SERVER_PARTS]);
type UnlistedPart = Exclude<keyof StompServerConfig, keyof StompServerOptions | (typeof SERVER_PARTS)[number]>;
const everyPartIsListed: [UnlistedPart] extends [never] ? true : UnlistedPart = true;
void everyPartIsListed;

/**
 * Refuses a name `new StompServer()` does not know: a misspelt option (`maxFrameSzie`,
 * `authenticat`) would otherwise configure nothing, silently.
 * @throws StompError `STOMP_ERR_INVALID_OPTION` naming the unknown option
 */
export function refuseUnknownConfig(config: StompServerConfig): void {
  if (config !== null && typeof config === 'object') refuseUnknown(config, SERVER_CONFIG_NAMES);
}
