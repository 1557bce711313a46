import type { Logger } from '../logger';
import { freezeDefaults, invalidOption, refuseUnknown } from '../option-kit';

/** Options of `StompBrokerRelay` (Spring's StompBrokerRelay properties). */
export interface StompBrokerRelayOptions {
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** The external broker's STOMP port. @defaultValue 61613 */
  port?: number;
  /** Credentials of each client session's connection. @defaultValue 'guest' / 'guest' */
  clientLogin?: string;
  clientPasscode?: string;
  /** Credentials of the shared system connection (server-side publishing). @defaultValue 'guest' / 'guest' */
  systemLogin?: string;
  systemPasscode?: string;
  /** The CONNECT `host` header (RabbitMQ: the virtual host). @defaultValue '/' */
  virtualHost?: string;
  /**
   * Destinations forwarded to the external broker; everything else (`/user`, application
   * destinations) stays in this process. @defaultValue RabbitMQ's: /topic, /queue, /exchange, /amq/queue, /temp-queue
   */
  prefixes?: string[];
  /** Heart-beats [send, receive] with the external broker, ms. @defaultValue [10000, 10000] */
  heartbeat?: readonly [number, number];
  /** Reconnect backoff of the system connection: first delay and cap, ms. @defaultValue [100, 5000] */
  reconnectDelay?: readonly [number, number];
  /** Milliseconds to wait for CONNECTED from the external broker. @defaultValue 5000 */
  connectTimeout?: number;
  /**
   * Bytes a connection to the external broker may hold unwritten (the broker or the network not
   * taking them) before the relay holds that session's frames until it drains. @defaultValue 1048576 (1 MiB)
   */
  maxBufferedBytes?: number;
  /** A pino-compatible logger. @defaultValue `createStderrLogger()`: stderr, `warn` and above */
  logger?: Logger;
}

/** The defaults of {@link StompBrokerRelayOptions} (Spring's, and RabbitMQ's prefixes); frozen. */
export const BROKER_RELAY_DEFAULTS = freezeDefaults({
  host: '127.0.0.1',
  port: 61613,
  clientLogin: 'guest',
  clientPasscode: 'guest',
  systemLogin: 'guest',
  systemPasscode: 'guest',
  virtualHost: '/',
  prefixes: ['/topic', '/queue', '/exchange', '/amq/queue', '/temp-queue'] as readonly string[],
  heartbeat: [10000, 10000] as readonly [number, number], // ms: [send, receive]
  reconnectDelay: [100, 5000] as readonly [number, number], // ms: first delay, cap
  connectTimeout: 5000, // ms
  maxBufferedBytes: 1 << 20, // bytes unwritten per link before its session's frames are held
});

/** The options of {@link StompBrokerRelayOptions} without an entry in BROKER_RELAY_DEFAULTS. */
export const BROKER_RELAY_OPTIONS_WITHOUT_DEFAULT = Object.freeze(['logger'] as const);

const RELAY_OPTION_NAMES: ReadonlySet<string> = new Set([...Object.keys(BROKER_RELAY_DEFAULTS), ...BROKER_RELAY_OPTIONS_WITHOUT_DEFAULT]);
type UnlistedRelayOption = Exclude<keyof StompBrokerRelayOptions, keyof typeof BROKER_RELAY_DEFAULTS | (typeof BROKER_RELAY_OPTIONS_WITHOUT_DEFAULT)[number]>;
const everyRelayOptionIsListed: [UnlistedRelayOption] extends [never] ? true : UnlistedRelayOption = true;
void everyRelayOptionIsListed;

/** Refuses unknown names and checks the options' ranges. @throws StompError `STOMP_ERR_INVALID_OPTION` naming the option */
export function validate(o: StompBrokerRelayOptions): void {
  const fail = (option: string, expected: string, received: unknown): never => invalidOption(option, expected, received, 'StompBrokerRelay');
  if (typeof o !== 'object' || o === null) fail('options', 'an object', o);
  refuseUnknown(o, RELAY_OPTION_NAMES, 'StompBrokerRelay');
  if (o.port !== undefined && !(Number.isInteger(o.port) && o.port > 0 && o.port < 65536)) fail('port', 'an integer 1-65535', o.port);
  const hb = o.heartbeat;
  if (hb !== undefined && !(hb.length === 2 && hb.every((n) => Number.isInteger(n) && n >= 0))) fail('heartbeat', '[send ms, receive ms], integers >= 0', hb);
  const rd = o.reconnectDelay;
  if (rd !== undefined && !(rd.length === 2 && rd[0] > 0 && rd[1] >= rd[0])) fail('reconnectDelay', '[first > 0, cap >= first] in ms', rd);
  if (o.connectTimeout !== undefined && !(o.connectTimeout > 0)) fail('connectTimeout', 'a number of ms > 0', o.connectTimeout);
  if (o.maxBufferedBytes !== undefined && !(Number.isInteger(o.maxBufferedBytes) && o.maxBufferedBytes > 0)) fail('maxBufferedBytes', 'an integer > 0 (bytes)', o.maxBufferedBytes);
  if (o.prefixes !== undefined && !o.prefixes.every((p) => p.startsWith('/'))) fail('prefixes', 'destinations starting with "/"', o.prefixes);
}
