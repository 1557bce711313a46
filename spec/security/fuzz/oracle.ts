/**
 * What must hold for every fuzz connection once its case was sent, whatever the bytes were:
 * within a bounded wait it is either closed or still answering (never hung); an ERROR is
 * followed by a close and by no other frame, carries a `message` header and is never
 * STOMP_ERR_INTERNAL (which means an exception nobody anticipated); at most one CONNECTED;
 * and what the broker sent decodes as STOMP.
 */
import { header } from '../../helpers/clients';
import type { FuzzConnection } from './fuzz-target';

/** How long a connection may take to answer a ping, or to close after an ERROR, ms. */
export const SETTLE_MS = 2000;

/** Checks the connection after its case and closes it; resolves with a short outcome, throws a violation. */
export async function settleAndCheck(conn: FuzzConnection): Promise<string> {
  try {
    const standing = await conn.settle(SETTLE_MS);
    if (standing === 'hung') throw new Error(`the connection neither closed nor answered a ping within ${SETTLE_MS} ms`);
    const frames = conn.frames;
    if (conn.decodeError !== undefined) throw new Error(`the broker sent bytes that do not decode: ${conn.decodeError}`);
    if (frames.filter((f) => f.command === 'CONNECTED').length > 1) throw new Error('the broker sent CONNECTED twice');
    const at = frames.findIndex((f) => f.command === 'ERROR');
    if (at === -1) return standing === 'closed' ? `closed ${conn.closeCode}` : 'open';
    const error = frames[at];
    const code = header(error, 'code');
    if (code === 'STOMP_ERR_INTERNAL') throw new Error('the broker answered STOMP_ERR_INTERNAL: an exception nobody anticipated (see its log)');
    if (!header(error, 'message')) throw new Error(`an ERROR (${code}) without a message header`);
    if (at < frames.length - 1) throw new Error(`the broker sent ${frames[at + 1].command} after ERROR ${code}`);
    if (standing === 'open' && !(await conn.closedWithin(SETTLE_MS))) throw new Error(`ERROR ${code}, but the connection was still open ${SETTLE_MS} ms later`);
    return `ERROR ${code}`;
  } finally {
    conn.close();
  }
}
