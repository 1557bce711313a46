import { StompError } from '../errors';
import type { AckMode, Subscription } from '../messaging/message-broker';
import type { SubscriptionRequest } from './session-host';
import type { ClientCommand, Frame } from '../stomp/frame';
import { detached } from '../stomp/headers';
import type { Settled } from './ack-tracker';
import { detachFrame, heldSize } from './held-frame';
import { negotiateHeartBeat, parseHeartBeat } from '../stomp/heartbeat';
import { negotiateVersion, SUPPORTED_VERSIONS } from '../stomp/versions';
import type { Authenticated } from './session-host';
import type { StompSession } from './stomp-session';
import { isPattern } from '../destinations/segments';
import { parseStreamPosition, refusePatternHistory } from '../retention/stream-position';
import { andThen } from '../value-or-promise';
import { compileSelector, type CompiledSelector } from '../selectors/compile-selector';

/**
 * The client-frame table: one entry per command, each citing its section of the STOMP 1.2
 * specification. An entry returns `void` when its effect is done, or a promise when the
 * effect is asynchronous; the session sends the RECEIPT after either.
 */
type CommandHandler = (session: StompSession, frame: Frame) => Promise<void> | void;

/** Each ack mode by its header value: a subscription keeps the constant, not the frame's copy. */
const ACK_MODES: ReadonlyMap<string, AckMode> = new Map((['auto', 'client', 'client-individual'] as const).map((m) => [m, m]));

/** STOMP 1.2 §"Connecting" and §"Heart-beating". */
function connect(session: StompSession, frame: Frame): Promise<void> | void {
  if (session.state !== 'connecting') {
    throw new StompError('STOMP_ERR_ALREADY_CONNECTED', `Received ${frame.command} on a session that is already connected`);
  }
  const version = negotiateVersion(frame.headers.get('accept-version'));
  if (version === undefined) {
    throw new StompError(
      'STOMP_ERR_UNSUPPORTED_VERSION',
      `Supported protocol versions are ${SUPPORTED_VERSIONS.join(',')}; accept-version was "${frame.headers.get('accept-version')}"`,
    );
  }
  const header = frame.headers.get('heart-beat');
  const client = parseHeartBeat(header);
  if (client === undefined) throw new StompError('STOMP_ERR_INVALID_HEADER', `Header heart-beat "${header!.slice(0, 32)}" is not "<ms>,<ms>"`);
  const [sx, sy] = session.host.options.heartbeat;
  const { send: sendInterval, receive: receiveInterval } = negotiateHeartBeat([sx, sy], client);
  const finish = (who: Authenticated | undefined): Promise<void> | void => {
    if (session.state !== 'connecting') return;
    const user = who?.name;
    session.principal = who?.principal;
    session.connected(version, user, sendInterval, receiveInterval);
    const headers: [string, string][] = [
      ['version', version],
      ['heart-beat', `${sx},${sy}`],
      ['server', session.host.options.serverName],
      ['session', session.sessionId],
    ];
    if (user !== undefined) headers.push(['user-name', user]);
    const ready = session.host.sessionConnected(session);
    const reply = (): void => {
      session.sendFrame('CONNECTED', headers);
      session.host.connectedSent?.(session);
    };
    if (ready === undefined) return reply();
    return ready.then(reply);
  };
  const who = session.host.authenticate(session, frame.headers);
  return andThen(who, finish);
}

/**
 * Holds a frame in its transaction when it names one; true when held. The frame is kept as a
 * copy detached from its transport message, and its bytes count against `maxTransactionBytes`
 * across every open transaction of the session (held-frame.ts).
 */
function heldInTransaction(session: StompSession, frame: Frame): boolean {
  const tx = frame.headers.get('transaction');
  if (tx === undefined) return false;
  const frames = session.transactions.get(tx);
  if (frames === undefined) throw new StompError('STOMP_ERR_UNKNOWN_TRANSACTION', `${frame.command} names unknown transaction "${tx}"`);
  const { maxFramesPerTransaction, maxTransactionBytes } = session.host.options;
  if (frames.length >= maxFramesPerTransaction) {
    throw new StompError('STOMP_ERR_TRANSACTION_LIMIT', `Transaction "${tx}" holds more than maxFramesPerTransaction (${maxFramesPerTransaction}) frames`);
  }
  const held = detachFrame(frame);
  const size = heldSize(held);
  if (session.transactionBytes + size > maxTransactionBytes) {
    throw new StompError(
      'STOMP_ERR_TRANSACTION_LIMIT',
      `Open transactions would hold more than maxTransactionBytes (${maxTransactionBytes} bytes) with this ${frame.command} in "${tx}"`,
    );
  }
  frames.push(held);
  session.transactionBytes += size;
  return true;
}

/** STOMP 1.2 §SEND. */
function send(session: StompSession, frame: Frame): Promise<void> | void {
  session.required(frame, 'destination');
  if (heldInTransaction(session, frame)) return;
  return session.host.routeSend(session, frame);
}

/** STOMP 1.2 §SUBSCRIBE. A repeated id is an error (Spring ignores it silently). */
function subscribe(session: StompSession, frame: Frame): Promise<void> | void {
  const destination = session.required(frame, 'destination');
  // STOMP 1.0: the id is optional; the destination then names the subscription.
  const id = session.version === '1.0' ? (frame.headers.get('id') ?? destination) : session.required(frame, 'id');
  if (session.subscriptions.has(id)) {
    throw new StompError('STOMP_ERR_DUPLICATE_SUBSCRIPTION', `Subscription id "${id}" is already in use in this session`);
  }
  const { maxSubscriptionsPerSession: max, maxSubscriptionBytes } = session.host.options;
  if (session.subscriptions.size >= max) {
    throw new StompError('STOMP_ERR_TOO_MANY_SUBSCRIPTIONS', `Session holds maxSubscriptionsPerSession (${max}) subscriptions`);
  }
  // What a subscription keeps for the session's lifetime: its id, destination and selector (README "Memory bounds").
  const selectorHeader = frame.headers.get('selector');
  const selectorText = selectorHeader === undefined || selectorHeader.trim() === '' ? undefined : selectorHeader;
  let cost = subscriptionCost(id, destination, selectorText);
  if (session.subscriptionBytes + cost > maxSubscriptionBytes) {
    throw new StompError('STOMP_ERR_TOO_MANY_SUBSCRIPTIONS', `Subscriptions would pass maxSubscriptionBytes (${maxSubscriptionBytes} bytes of ids, destinations and selectors)`);
  }
  const header = frame.headers.get('ack') ?? 'auto';
  const ack = ACK_MODES.get(header);
  if (ack === undefined || (session.version === '1.0' && ack === 'client-individual')) {
    throw new StompError('STOMP_ERR_INVALID_ACK_MODE', `Header ack "${header.slice(0, 32)}" is not auto, client or client-individual`);
  }
  // SPEC §6.1: where the history starts; malformed values and history on a pattern are refused here.
  const offsetHeader = frame.headers.get('x-stream-offset');
  const position = parseStreamPosition(offsetHeader, frame.headers.get('x-stream-epoch'));
  if (position !== undefined && isPattern(destination)) refusePatternHistory(destination, position, offsetHeader);
  // SPEC §6.2: compiled once here; an invalid one is ERROR STOMP_ERR_INVALID_SELECTOR naming the offset.
  const selector = selectorText === undefined ? undefined : compileSelector(detached(selectorText));
  // A LIKE pattern weighs LIKE_WEIGHT times its length: what one publish may cost in matching is bounded per session.
  if (selector !== undefined && selector.likeChars > 0) {
    cost = subscriptionCost(id, destination, selector);
    if (session.subscriptionBytes + cost > maxSubscriptionBytes) {
      throw new StompError('STOMP_ERR_TOO_MANY_SUBSCRIPTIONS', `Subscriptions would pass maxSubscriptionBytes (${maxSubscriptionBytes} bytes of ids, destinations and selectors, a LIKE pattern counting ${LIKE_WEIGHT} times its length)`);
    }
  }
  const prefetch = parsePrefetch(frame.headers.get('prefetch-count'));
  // Kept as long as the subscription: copies that hold no reference to this frame's head.
  const request: SubscriptionRequest = { id: detached(id), destination: detached(destination), ack, position, selector, prefetch };
  const registered = (sub: Subscription): void => {
    session.subscriptions.set(request.id, sub);
    session.subscriptionBytes += cost;
    // Every SUBSCRIBE with x-stream-offset that asks for a receipt learns whether its history was served in full.
    if (position !== undefined && frame.headers.has('receipt')) {
      const recovered = request.recovered ?? (position.epoch === undefined && position.kind !== 'offset' && position.kind !== 'timestamp');
      session.receiptHeaders = [['x-stream-recovered', String(recovered)]];
    }
  };
  const result = session.host.routeSubscribe(session, frame, request);
  return andThen(result, registered);
}

/**
 * How many times its length a LIKE pattern counts against `maxSubscriptionBytes`. Matching one
 * costs a word operation per 32 pattern characters per character of the header it reads (up to
 * `maxHeaderLength`), so at the defaults a session's selectors cost at most about 10 ms per
 * publish (measured: 240 patterns of 4 KiB against an 8 KB header, 380 ms; now at most 16 per session).
 */
export const LIKE_WEIGHT = 16;

/**
 * What a subscription counts against `maxSubscriptionBytes`: the characters of its id,
 * destination and selector, the selector's LIKE patterns {@link LIKE_WEIGHT} times (once it is compiled).
 */
function subscriptionCost(id: string, destination: string, selector: string | CompiledSelector | undefined): number {
  if (selector === undefined) return id.length + destination.length;
  if (typeof selector === 'string') return id.length + destination.length + selector.length;
  return id.length + destination.length + selector.text.length + selector.likeChars * (LIKE_WEIGHT - 1);
}

/** Most unacknowledged messages one subscription may ask for (`prefetch-count`). */
const MAX_PREFETCH = 65535;

/** SUBSCRIBE `prefetch-count` (RabbitMQ's header): an integer from 1 to 65535, or absent. */
function parsePrefetch(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^[1-9][0-9]{0,4}$/.test(value) ? Number(value) : NaN;
  if (!(n <= MAX_PREFETCH)) {
    throw new StompError('STOMP_ERR_INVALID_HEADER', `Header prefetch-count "${value.slice(0, 32)}" is not an integer from 1 to ${MAX_PREFETCH}`);
  }
  return n;
}

/** STOMP 1.2 §UNSUBSCRIBE (1.0 may name the destination instead of the id). */
function unsubscribe(session: StompSession, frame: Frame): Promise<void> | void {
  const id = session.version === '1.0' ? (frame.headers.get('id') ?? session.required(frame, 'destination')) : session.required(frame, 'id');
  const sub = session.subscriptions.get(id);
  if (sub === undefined) throw new StompError('STOMP_ERR_UNKNOWN_SUBSCRIPTION', `No subscription with id "${id}" in this session`);
  session.subscriptions.delete(id);
  session.subscriptionBytes -= subscriptionCost(sub.id, sub.destination, sub.selector);
  session.acks.forget(sub);
  return session.host.routeUnsubscribe !== undefined ? session.host.routeUnsubscribe(session, sub) : session.host.broker.unsubscribe(sub);
}

/**
 * STOMP 1.2 §ACK and §NACK: 1.2 names the `ack` id; 1.1 `message-id` and `subscription`. A
 * broker with `ack`/`nack` (a queue engine) hears what was settled; the RECEIPT waits for it.
 */
function settle(session: StompSession, frame: Frame): Promise<void> | void {
  const v12 = session.version === '1.2';
  const id = session.required(frame, v12 ? 'id' : 'message-id');
  const subscription = v12 ? undefined : session.version === '1.1' ? session.required(frame, 'subscription') : frame.headers.get('subscription');
  if (heldInTransaction(session, frame)) return;
  const broker = session.host.acknowledger ?? session.host.broker;
  const hook = frame.command === 'ACK' ? broker.ack : broker.nack;
  const settled: Settled | undefined = hook === undefined ? undefined : { subscription: undefined, messageIds: [] };
  if (session.acks.settle(id, v12, subscription, settled) === 0) {
    throw new StompError('STOMP_ERR_UNKNOWN_ACK', `${frame.command} names "${id}", which is not a message awaiting acknowledgement`);
  }
  if (hook === undefined || settled!.subscription === undefined) return;
  const done = hook.call(broker, settled!.subscription, settled!.messageIds);
  // The engine settled it in memory already: only the RECEIPT waits for the store (session.ts).
  if (done !== undefined) session.markOrdered();
  return done;
}

/** STOMP 1.2 §BEGIN. */
function begin(session: StompSession, frame: Frame): void {
  const tx = session.required(frame, 'transaction');
  if (session.transactions.has(tx)) throw new StompError('STOMP_ERR_DUPLICATE_TRANSACTION', `Transaction "${tx}" is already open`);
  const max = session.host.options.maxTransactionsPerSession;
  if (session.transactions.size >= max) {
    throw new StompError('STOMP_ERR_DUPLICATE_TRANSACTION', `Session holds maxTransactionsPerSession (${max}) open transactions`);
  }
  session.transactions.set(tx, []);
}

function takeTransaction(session: StompSession, frame: Frame): Frame[] {
  const tx = session.required(frame, 'transaction');
  const frames = session.transactions.get(tx);
  if (frames === undefined) throw new StompError('STOMP_ERR_UNKNOWN_TRANSACTION', `${frame.command} names unknown transaction "${tx}"`);
  session.transactions.delete(tx);
  for (const held of frames) session.transactionBytes -= heldSize(held);
  return frames;
}

/** STOMP 1.2 §COMMIT: the held SENDs and ACKs take effect now, in order. */
async function commitAsync(session: StompSession, frames: Frame[], from: number): Promise<void> {
  for (let i = from; i < frames.length; i++) await replay(session, frames[i]);
}

function replay(session: StompSession, frame: Frame): Promise<void> | void {
  const headers = new Map(frame.headers);
  headers.delete('transaction');
  headers.delete('receipt');
  return COMMANDS[frame.command as 'SEND' | 'ACK' | 'NACK'](session, { command: frame.command, headers, body: frame.body });
}

function commit(session: StompSession, frame: Frame): Promise<void> | void {
  const frames = takeTransaction(session, frame);
  for (let i = 0; i < frames.length; i++) {
    const result = replay(session, frames[i]);
    if (result !== undefined) return result.then(() => commitAsync(session, frames, i + 1));
  }
}

/** STOMP 1.2 §ABORT: the held frames are dropped. */
function abort(session: StompSession, frame: Frame): void {
  takeTransaction(session, frame);
}

/** STOMP 1.2 §DISCONNECT: the RECEIPT is the last frame, then a clean close. */
function disconnect(session: StompSession, frame: Frame): void {
  const receipt = frame.headers.get('receipt');
  if (receipt !== undefined) session.sendReceipt(receipt);
  session.end('disconnect', 1000, 'DISCONNECT');
}

export const COMMANDS: Readonly<Record<Exclude<ClientCommand, never>, CommandHandler>> = {
  CONNECT: connect,
  STOMP: connect,
  SEND: send,
  SUBSCRIBE: subscribe,
  UNSUBSCRIBE: unsubscribe,
  ACK: settle,
  NACK: settle,
  BEGIN: begin,
  COMMIT: commit,
  ABORT: abort,
  DISCONNECT: disconnect,
};
