import { Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import { StompError } from '../errors';
import type { Logger } from '../logger';
import type { BrokerMessage } from '../messaging/broker-message';
import { RECORD_OVERHEAD, stamped } from '../retention/memory-store';
import { ReplayCache } from '../retention/replay-cache';
import type { Appended, HistoryHead, HistoryKey, HistoryRead, MessageStore, Offset, ReadFrom, RetainedMessage, RetentionLimits, StoreStats } from '../retention/message-store';
import { decodeEnvelope, encodeEnvelope, type NodeId } from './cluster-message';
import type { RedisLike } from './redis-types';
import { APPEND, READ } from './stream-scripts';

/** Messages a read fetches per round trip (a long replay takes several, never one huge reply). */
export const READ_PAGE = 1000;
/** How long `stats()` answers from its last snapshot before it asks Redis again, ms. */
const STATS_REFRESH_MS = 1000;

/** What the store needs from its broker (broker/cluster/redis-broker.ts). */
export interface RedisStoreHost {
  readonly redis: RedisLike;
  readonly prefix: string;
  readonly nodeId: NodeId;
  readonly logger: Logger;
  /** Appends held while Redis is unreachable; past it they are refused and counted. */
  readonly maxBuffered: number;
}

/** Counts of the cluster's catch-up on this node (broker/cluster/stream-cursors.ts), shown in `stats().retention.cluster`. */
export interface CatchUpCounts {
  /** Messages this node read back from a stream because its subscriber connection missed them. */
  caughtUp: number;
  /** Messages this node's subscribers did not get: trimmed before the catch-up could read them, or refused while Redis was unreachable. */
  lost: number;
  /** Appends whose connection broke before Redis answered: refused to the publisher, they may or may not be stored. */
  failed: number;
  /** Appends that found their history kept under another rule than this node's (the nodes' rules differ). */
  ruleConflicts: number;
}

interface Pending {
  readonly args: (string | Buffer)[];
  readonly resolve: (reply: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * The {@link MessageStore} of a cluster: every history is a Redis stream (see
 * broker/cluster/stream-scripts.ts), so offsets and epochs are the same on every node and a
 * client resumes on any of them. An append is one script that assigns the offset, adds the
 * entry, trims what the rule no longer keeps (exactly its `messages` newest, and its `maxAge`)
 * and PUBLISHes the message on the destination's channel; the broker then delivers it locally
 * when it comes back from Redis, in offset order. While Redis is unreachable appends wait (up
 * to `maxBuffered`, then they are refused and counted as lost) and go out in order once the
 * connection is back.
 *
 * `retentionBytes` bounds what every node together retains in Redis: bytes are counted as the
 * memory store counts them (each envelope and {@link RECORD_OVERHEAD}), and an append past it
 * drops the globally oldest retained messages first, in the same script.
 */
export class RedisMessageStore implements MessageStore {
  readonly counts: CatchUpCounts = { caughtUp: 0, lost: 0, failed: 0, ruleConflicts: 0 };
  private ruleWarnedAt = Number.NEGATIVE_INFINITY;
  /** Appends go out on one connection (or wait in order while it is down): each takes its place when called. */
  readonly ordered = true;
  private readonly scripts = new Map<string, string>();
  /** Messages appended (and so PUBLISHed by the script): the broker must not publish them again. */
  private readonly appended = new WeakSet<BrokerMessage>();
  private readonly pending: Pending[] = [];
  /** Decoded messages shared by the readers of the same offsets, under each history's key and epoch. */
  private readonly replayCache = new ReplayCache();
  private snapshot: StoreStats;
  private refreshedAt = 0;
  /** The epoch a history that does not exist yet gets on its first append (random, replaced once used). */
  private candidate = newEpoch();

  constructor(
    private readonly host: RedisStoreHost,
    /** `retentionBytes`: past it an append drops the oldest retained messages of every node (0: none). */
    private readonly budget = 0,
  ) {
    for (const script of [APPEND, READ]) this.scripts.set(script, createHash('sha1').update(script).digest('hex'));
    this.snapshot = { destinations: 0, messages: 0, bytes: 0, budget, dropped: { count: 0, age: 0, bytes: 0 } };
  }

  append(key: HistoryKey, message: BrokerMessage, limits: RetentionLimits): Promise<Appended> {
    const envelope = encodeEnvelope(this.host.nodeId, 0, message);
    // Principal-form user histories are not broadcast: the broker routes them through presence.
    const channel = key.startsWith('\0') ? '' : `${this.host.prefix}d:${message.destination}`;
    const epoch = this.candidate;
    return this.run(APPEND, key, [envelope, String(limits.messages), ageArg(limits), epoch, channel, key, this.host.prefix, String(this.budget)]).then((reply) => {
      const [offset, epochOf, , cap, age] = (reply as Buffer[]).map((b) => b.toString());
      if (epochOf === epoch && this.candidate === epoch) this.candidate = newEpoch(); // taken by a new history: never offered again
      if (cap !== undefined) this.otherRule(message.destination, { cap, age }, limits);
      const out = stamped(message, Number(offset), epochOf);
      if (channel !== '') this.appended.add(out);
      return { offset: Number(offset), epoch: epochOf, message: out };
    });
  }

  /** True (once) for a message this store appended and its script already PUBLISHed. */
  takeAppended(message: BrokerMessage): boolean {
    return this.appended.delete(message);
  }

  async read(key: HistoryKey, from: ReadFrom, limits: RetentionLimits, limit = Number.POSITIVE_INFINITY): Promise<HistoryRead> {
    let page = await this.page(key, 'offset' in from ? 'o' : 't', 'offset' in from ? from.offset : from.timestamp, Math.min(limit, READ_PAGE), limits);
    const messages = [...page.messages];
    const epoch = page.epoch;
    // Later pages by offset, from past the last one read, until the history's end or the limit.
    while (page.messages.length === READ_PAGE && messages.length < limit) {
      page = await this.page(key, 'o', messages[messages.length - 1].offset + 1, Math.min(limit - messages.length, READ_PAGE), limits);
      if (page.epoch !== epoch) break; // the history was lost meanwhile
      messages.push(...page.messages);
    }
    return { epoch: page.epoch, first: page.first, next: page.next, lastDroppedAt: page.lastDroppedAt, messages };
  }

  /** Up to `count` messages of a broadcast destination from `offset` on, under the history's own rule (the cluster's catch-up). */
  range(destination: string, offset: Offset, count: number): Promise<HistoryRead> {
    return this.page(destination, 'o', offset, count, undefined);
  }

  async head(key: HistoryKey): Promise<HistoryHead | undefined> {
    const head = await this.page(key, 'h', 0, 0, undefined);
    return head.epoch === '' ? undefined : head;
  }

  async trim(key: HistoryKey, limits: RetentionLimits): Promise<void> {
    await this.page(key, 'h', 0, 0, limits);
  }

  /** The cluster-wide counts as of the last refresh (at most a second old), with this node's catch-up counts. */
  stats(): StoreStats & { cluster: CatchUpCounts } {
    if (Date.now() - this.refreshedAt >= STATS_REFRESH_MS && this.host.redis.status === 'ready') {
      this.refreshedAt = Date.now();
      this.refreshStats().catch(() => undefined);
    }
    return { ...this.snapshot, cluster: { ...this.counts } };
  }

  /** Reads the cluster-wide counts from Redis now. */
  async refreshStats(): Promise<StoreStats> {
    const flat = (await this.host.redis.callBuffer('HGETALL', this.statsKey())) as Buffer[];
    const h = new Map<string, number>();
    for (let i = 0; i + 1 < flat.length; i += 2) h.set(flat[i].toString(), Number(flat[i + 1].toString()));
    const n = (k: string): number => h.get(k) ?? 0;
    this.snapshot = { destinations: n('destinations'), messages: n('messages'), bytes: n('bytes'), budget: this.budget, dropped: { count: n('count'), age: n('age'), bytes: n('overBudget') } };
    return this.snapshot;
  }

  /** Loads the scripts into Redis (on every connect: a restarted Redis has none), so appends need not fall back to EVAL. */
  loadScripts(): void {
    for (const script of this.scripts.keys()) this.host.redis.callBuffer('SCRIPT', 'LOAD', script).catch(() => undefined);
  }

  /** The connection is back: sends the appends held meanwhile, in order. */
  flush(): void {
    for (const p of this.pending.splice(0)) this.call(p.args).then(p.resolve, (err: unknown) => this.failed(err).catch(p.reject));
  }

  /** Refuses what is still held (the broker is closing). */
  close(): void {
    const held = this.pending.splice(0);
    this.counts.lost += held.length;
    for (const p of held) p.reject(new StompError('STOMP_ERR_BROKER_UNAVAILABLE', 'The cluster broker closed before Redis came back'));
  }

  /**
   * The history was last kept under another rule than this node's: the nodes' `retention`
   * rules differ (or changed), and each append trims with its own node's. Counted, and logged
   * at most once a minute.
   */
  private otherRule(destination: string, theirs: { cap: string; age: string }, ours: RetentionLimits): void {
    this.counts.ruleConflicts++;
    const now = Date.now();
    if (now - this.ruleWarnedAt < 60_000) return;
    this.ruleWarnedAt = now;
    this.host.logger.warn(
      { node: this.host.nodeId, destination, theirs: { messages: Number(theirs.cap), maxAge: theirs.age === '0' ? null : Number(theirs.age) }, ours: { messages: ours.messages, maxAge: ours.maxAge === Number.POSITIVE_INFINITY ? null : ours.maxAge }, conflicts: this.counts.ruleConflicts },
      'Retained history kept under another retention rule by another node: give every node the same retention rules',
    );
  }

  /** A script Redis did not answer (the connection broke) or refused: counted, logged once per 1000, refused to the publisher. */
  private failed(err: unknown): Promise<never> {
    if (this.counts.failed++ % 1000 === 0) this.host.logger.warn({ node: this.host.nodeId, failed: this.counts.failed, err: String(err) }, 'Redis did not confirm retained messages; they may or may not be stored');
    return Promise.reject(unavailable(err));
  }

  private statsKey(): string {
    return `${this.host.prefix}hs`;
  }

  private async page(key: HistoryKey, kind: 'o' | 't' | 'h', from: number, count: number, limits: RetentionLimits | undefined): Promise<HistoryRead> {
    const cap = limits === undefined ? '' : String(limits.messages);
    const age = limits === undefined ? '' : ageArg(limits);
    const reply = (await this.run(READ, key, [kind, String(from), String(count), cap, age, key])) as Buffer[];
    const epoch = reply[0].toString();
    if (epoch === '') return { epoch: '', first: 0, next: 0, lastDroppedAt: Number.NEGATIVE_INFINITY, messages: [] };
    const dropped = reply[3].toString();
    const messages: RetainedMessage[] = [];
    // Readers of the same offsets (a reconnect storm) share one decoded message; Redis still answers each read.
    const history = `${key}\n${epoch}`;
    for (let i = 4; i + 1 < reply.length; i += 2) {
      const id = reply[i].toString();
      const dash = id.indexOf('-');
      const offset = Number(id.slice(0, dash));
      const entry = reply[i + 1];
      const message = this.replayCache.shared(history, offset, () => {
        const env = decodeEnvelope(entry);
        return env === undefined ? undefined : stamped(env.message, offset, epoch);
      });
      if (message === undefined) continue; // not ours: never delivered, never thrown
      messages.push({ offset, timestamp: Number(id.slice(dash + 1)), message });
    }
    return { epoch, first: Number(reply[1].toString()), next: Number(reply[2].toString()), lastDroppedAt: dropped === '' ? Number.NEGATIVE_INFINITY : Number(dropped), messages };
  }

  /** Runs a script on a history's keys; held (bounded) while Redis is unreachable. */
  private run(script: string, key: HistoryKey, argv: (string | Buffer)[]): Promise<unknown> {
    const p = this.host.prefix;
    const args = [this.scripts.get(script)!, '6', `${p}h:${key}`, `${p}hm:${key}`, this.statsKey(), `${p}hf`, `${p}hb`, `${p}hn`, ...argv, script];
    if (this.host.redis.status === 'ready' && this.pending.length === 0) return this.call(args).catch((err: unknown) => this.failed(err));
    if (this.pending.length >= this.host.maxBuffered) {
      if (this.counts.lost++ % 1000 === 0) this.host.logger.warn({ node: this.host.nodeId, lost: this.counts.lost }, 'Redis unreachable and maxBuffered reached: refusing retained messages');
      return Promise.reject(new StompError('STOMP_ERR_BROKER_UNAVAILABLE', `Redis is unreachable and ${this.host.maxBuffered} retained messages already wait for it`));
    }
    return new Promise((resolve, reject) => this.pending.push({ args, resolve, reject }));
  }

  /** EVALSHA, or EVAL when Redis does not know the script yet (a restart, SCRIPT FLUSH). The script text rides last in `args`. */
  private async call(args: (string | Buffer)[]): Promise<unknown> {
    const script = args[args.length - 1] as string;
    const rest = args.slice(1, -1);
    try {
      return await this.host.redis.callBuffer('EVALSHA', args[0], ...rest);
    } catch (err) {
      if (!String(err).includes('NOSCRIPT')) throw err;
      return this.host.redis.callBuffer('EVAL', script, ...rest);
    }
  }
}

/** A Redis failure as the publisher sees it: the message may or may not be stored (the reply never came, or Redis refused the script). */
function unavailable(err: unknown): StompError {
  if (err instanceof StompError) return err;
  return new StompError('STOMP_ERR_BROKER_UNAVAILABLE', `Redis did not confirm the retained message (${err instanceof Error ? err.message : String(err)}); it may or may not be stored`);
}

function newEpoch(): string {
  return randomBytes(9).toString('base64url');
}

function ageArg(limits: RetentionLimits): string {
  return limits.maxAge === Number.POSITIVE_INFINITY ? '0' : String(limits.maxAge);
}
