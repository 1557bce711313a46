import { Buffer } from 'node:buffer';
import { parseSegments, shapeOf, SUBSCRIBE_CONTEXT } from '../destinations/segments';
import { BrokerMessage, type HeaderPair } from '../messaging/broker-message';

/** Identifies one node of a cluster; random per process start. */
export type NodeId = string;

/** A message as it travels between nodes, with where it came from. */
export interface ClusterEnvelope {
  /** The node that published it; that node has already delivered it locally. */
  readonly origin: NodeId;
  /** The origin's publish counter: increasing, so a node can drop a second copy (exact + pattern channel). */
  readonly seq: number;
  /** Set for user messages (principal-based subscriptions of this user). */
  readonly user: string | undefined;
  readonly message: BrokerMessage;
}

interface Head {
  o: string;
  s: number;
  d: string;
  i: string;
  c?: string;
  h?: HeaderPair[];
  u?: string;
}

/**
 * Encodes an envelope for Redis: a 4-byte big-endian length, a JSON head (origin, seq,
 * destination, message id, content type, headers, user), then the body bytes as they are,
 * so binary bodies cross nodes unchanged and without base64.
 */
export function encodeEnvelope(origin: NodeId, seq: number, message: BrokerMessage, user?: string): Buffer {
  const head: Head = { o: origin, s: seq, d: message.destination, i: message.messageId };
  if (message.contentType !== undefined) head.c = message.contentType;
  if (message.headers.length > 0) head.h = message.headers as HeaderPair[];
  if (user !== undefined) head.u = user;
  const json = Buffer.from(JSON.stringify(head), 'utf8');
  const out = Buffer.allocUnsafe(4 + json.length + message.body.length);
  out.writeUInt32BE(json.length, 0);
  json.copy(out, 4);
  out.set(message.body, 4 + json.length);
  return out;
}

/** Decodes what {@link encodeEnvelope} wrote; undefined for anything malformed (never throws). */
export function decodeEnvelope(data: Buffer): ClusterEnvelope | undefined {
  if (data.length < 4) return undefined;
  const len = data.readUInt32BE(0);
  if (4 + len > data.length) return undefined;
  let head: Head;
  try {
    head = JSON.parse(data.toString('utf8', 4, 4 + len)) as Head;
  } catch {
    return undefined;
  }
  if (typeof head.o !== 'string' || typeof head.s !== 'number' || typeof head.d !== 'string' || typeof head.i !== 'string') return undefined;
  const body = data.subarray(4 + len);
  const message = new BrokerMessage(head.d, body, head.c, head.h ?? [], head.i);
  return { origin: head.o, seq: head.s, user: head.u, message };
}

/**
 * The Redis glob that matches at least every destination a STOMP pattern matches. One-segment
 * wildcards (`*`, `{var}`) become `*` (which in Redis also crosses `/`); a `**` takes the `/`
 * before it along (`/topic/p/**` → `/topic/p*`, `/a/**\/z` → `/a*\/z`), because `**` also
 * matches zero segments and `/topic/p` has no slash after `p`. Runs of stars collapse, and glob
 * metacharacters in literal segments are escaped. The node then filters exactly with its
 * subscription registry, the same bounded matcher as local publishes, so the superset costs
 * only traffic, never a wrong delivery or a stall.
 */
export function patternGlob(destination: string): string {
  let glob = '';
  let attach = false; // after a leading **: the next segment may be the first, with no slash before it
  let wild = false; // the last thing written is an unescaped *
  shapeOf(parseSegments(destination, SUBSCRIBE_CONTEXT)).forEach((s, i) => {
    if (s.kind === 'globstar') {
      if (!wild) glob += '*';
      attach = i === 0;
      wild = true;
      return;
    }
    const text = s.kind === 'literal' ? s.text.replace(/[*?[\]\\]/g, (c) => `\\${c}`) : '*';
    glob += i === 0 || attach ? text : `/${text}`;
    attach = false;
    wild = s.kind !== 'literal';
  });
  return glob;
}

/** First byte of a retained message as the append script PUBLISHes it (an envelope's first byte is 0: its length is below 16 MiB). */
export const RETAINED_MARK = 0x52; // 'R'

/** A retained message from a destination channel: offset, epoch and append time assigned by Redis, then the envelope. */
export interface RetainedEnvelope {
  readonly offset: number;
  readonly epoch: string;
  readonly envelope: ClusterEnvelope;
}

/** Decodes `R<offset> <epoch> <ms>\n<envelope>` (broker/cluster/stream-scripts.ts); undefined for anything malformed (never throws). */
export function decodeRetained(data: Buffer): RetainedEnvelope | undefined {
  if (data[0] !== RETAINED_MARK) return undefined;
  const nl = data.indexOf(0x0a);
  if (nl === -1 || nl > 256) return undefined;
  const m = /^R(\d{1,15}) ([\w-]{1,64}) \d{1,15}$/.exec(data.toString('latin1', 0, nl));
  const envelope = m === null ? undefined : decodeEnvelope(data.subarray(nl + 1));
  return envelope === undefined ? undefined : { offset: Number(m![1]), epoch: m![2], envelope };
}
