import type { NodeId } from './cluster-message';
import type { RedisLike } from './redis-types';

// Returns [node, count, node, count, ...] for the nodes of KEYS[1] whose liveness key still
// exists, and deletes the fields of nodes that are gone (crashed: their key expired).
const LIVE_NODES = `
local h = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #h, 2 do
  if redis.call('EXISTS', ARGV[1] .. h[i]) == 1 then
    out[#out + 1] = h[i]
    out[#out + 1] = h[i + 1]
  else
    redis.call('HDEL', KEYS[1], h[i])
  end
end
return out`;

/**
 * The cluster's user registry (presence), kept in Redis:
 * - `<prefix>node:<id>`: one key per live node, set with a TTL that the node refreshes every
 *   third of it; a crashed node's key expires, and with it every entry of that node.
 * - `<prefix>user:<name>`: a hash node id → number of that user's sessions on that node.
 * Readers keep only nodes whose key exists (one Lua call, which also deletes stale fields),
 * so a crashed node is forgotten within `ttl` ms without anyone sweeping. Writes are
 * absolute counts (HSET, not HINCRBY), so replaying the local state after Redis lost its data
 * (a restart) is idempotent.
 */
export class UserRegistry {
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly redis: RedisLike,
    private readonly prefix: string,
    readonly nodeId: NodeId,
    /** Milliseconds a node stays registered without a refresh. */
    private readonly ttl: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  private nodeKey(node: NodeId): string {
    return `${this.prefix}node:${node}`;
  }

  private userKey(user: string): string {
    return `${this.prefix}user:${user}`;
  }

  /** Marks this node alive now and every `ttl / 3` ms. */
  start(): void {
    this.refresh();
    this.timer ??= setInterval(() => this.refresh(), Math.max(50, Math.floor(this.ttl / 3)));
    this.timer.unref();
  }

  private refresh(): void {
    this.redis.set(this.nodeKey(this.nodeId), '1', 'PX', this.ttl).catch(this.onError);
  }

  /** Records how many sessions `user` has on this node (0 removes the entry). */
  async setCount(user: string, count: number): Promise<void> {
    if (count > 0) await this.redis.hset(this.userKey(user), this.nodeId, String(count));
    else await this.redis.hdel(this.userKey(user), this.nodeId);
  }

  /** Writes every local count again (after Redis came back, possibly empty). */
  async restore(counts: ReadonlyMap<string, number>): Promise<void> {
    await this.redis.set(this.nodeKey(this.nodeId), '1', 'PX', this.ttl);
    await Promise.all([...counts].map(([user, n]) => this.setCount(user, n)));
  }

  /** The live nodes holding `user`, with that user's session count on each. */
  async nodesOf(user: string): Promise<Map<NodeId, number>> {
    const flat = (await this.redis.eval(LIVE_NODES, 1, this.userKey(user), this.nodeKey(''))) as string[];
    const out = new Map<NodeId, number>();
    for (let i = 0; i < flat.length; i += 2) out.set(flat[i], Number(flat[i + 1]));
    return out;
  }

  /** Leaves the registry: stops refreshing, removes this node's key and its user entries. */
  async stop(users: Iterable<string>): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([this.redis.del(this.nodeKey(this.nodeId)), ...[...users].map((u) => this.redis.hdel(this.userKey(u), this.nodeId))]);
  }
}
