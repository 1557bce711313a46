import type { BrokerMessage } from '../messaging/broker-message';
import { deadLetterOf, type DeadLetterReason } from '../queues/letters';
import type { QueueEngineOptions } from '../queues/queue-engine';
import type { QueuePolicy } from '../queues/queue-rules';
import { decodeEnvelope } from './cluster-message';
import type { QueueStreams } from './queue-streams';
import { StreamEntry, type LocalQueue } from './redis-queue-state';

/** How many of a queue's waiting entries one expiry check looks at. */
const EXPIRY_SWEEP_LIMIT = 1000;

/**
 * Dead letters and expiry of the cluster queues (redis-queues.ts): the same headers and counts
 * as the in-memory engine (broker/queues/letters.ts), the expired waiting entries found by a
 * sweep in Redis.
 */
export class RedisQueueLetters {
  constructor(
    private readonly o: QueueEngineOptions,
    private readonly redis: QueueStreams,
    /** Appends a dead letter to a queue (a cluster queue again). */
    private readonly enqueue: (policy: QueuePolicy, user: string | undefined, message: BrokerMessage) => Promise<void>,
  ) {}

  /** Moves `e` to its queue's dead-letter destination; without one (or when it is full) the message is dropped, counted. */
  async move(q: LocalQueue, e: StreamEntry, reason: DeadLetterReason): Promise<void> {
    const target = q.policy.deadLetterOf(e.destination);
    if (target === undefined || target === e.destination) {
      q.counts.dropped++;
      return;
    }
    const letter = deadLetterOf(e, target, reason);
    const policy = this.o.rules.policyFor(target);
    try {
      if (policy === undefined) this.o.publishElsewhere(e.user, letter);
      else await this.enqueue(policy, e.user, letter);
      q.counts.deadLettered++;
    } catch (err) {
      q.counts.dropped++;
      this.o.logger.warn({ destination: e.destination, deadLetter: target, err }, 'Dead-letter destination refused a message; dropped');
    }
  }

  /** Dead-letters `e` and settles it, logging a failure (the entry then comes back after the claim timeout). */
  moveAndSettle(q: LocalQueue, e: StreamEntry, reason: DeadLetterReason): void {
    this.move(q, e, reason)
      .then(() => this.redis.settle(q.stream, [e.streamId]))
      .catch((err: unknown) => this.o.logger.warn({ err: String(err), queue: q.destination }, 'Redis queue dead-letter move failed'));
  }

  /** Expired messages waiting in the streams of queues that had expiring ones here: deleted, counted, dead-lettered when the rule says so. */
  async expireWaiting(queues: Iterable<LocalQueue>, closed: () => boolean): Promise<void> {
    for (const q of [...queues]) {
      if (!q.expiring || closed()) continue;
      try {
        for (const t of await this.redis.sweep(q.stream, Date.now(), EXPIRY_SWEEP_LIMIT)) {
          q.counts.expired++;
          const env = decodeEnvelope(t.envelope);
          if (env !== undefined && q.policy.expired === 'dead-letter') await this.move(q, new StreamEntry(t.streamId, q.key, q.destination, q.user, env.message, 0, 0), 'expired');
        }
      } catch (err) {
        this.o.logger.warn({ err: String(err), queue: q.destination }, 'Redis queue expiry sweep failed');
      }
    }
  }
}
