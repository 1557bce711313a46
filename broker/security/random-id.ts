import { randomBytes } from 'node:crypto';

/**
 * Identifiers a client could guess or use against another session (CONNECTED `session`, 1.2
 * `ack` ids), drawn from the operating system's CSPRNG through `node:crypto`. A counter with
 * `Math.random()` is predictable: V8's xorshift128+ state can be recovered from a few
 * outputs, and Spring treated guessable session ids as a vulnerability.
 *
 * Random bytes are taken from a pool refilled 4 KiB at a time, so an id costs a base64url
 * encode of 12 or 16 bytes rather than a `randomBytes` call (which crosses into C++ and
 * locks the entropy source) on the delivery path of client-ack subscriptions.
 */

const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

/** Bytes of randomness in a session id: 128 bits, as a UUID v4 has 122. */
export const SESSION_ID_BYTES = 16;
/** Bytes of randomness in a 1.2 `ack` id: 96 bits (16 characters). */
export const ACK_ID_BYTES = 12;

/**
 * A new identifier of `bytes` random bytes as base64url (no padding): 16 bytes give 22
 * characters, 12 give 16. Safe in header values and URLs; never repeats in practice.
 */
export function randomId(bytes: number = SESSION_ID_BYTES): string {
  if (offset + bytes > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + bytes);
  // Zero what was used: a later reader of the pool (a heap dump, a bug) learns no handed-out id.
  pool.fill(0, offset, offset + bytes);
  offset += bytes;
  return id;
}
