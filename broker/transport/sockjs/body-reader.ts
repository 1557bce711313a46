import { Buffer } from 'node:buffer';
import type { IncomingMessage } from 'node:http';

/** How reading a request body ended. */
export type BodyOutcome =
  | { readonly kind: 'body'; readonly body: Buffer }
  /** The body passes the limit: by its Content-Length, or by what arrived. Reading stopped there. */
  | { readonly kind: 'too-large'; readonly size: number }
  /** The client went away before the body ended. */
  | { readonly kind: 'aborted' };

/**
 * Reads a request body of at most `limit` bytes and calls `done` once. A Content-Length past
 * the limit is refused before a byte is read; otherwise the size is checked as each chunk
 * arrives and reading stops at the first chunk past it. Chunks are kept as they came and
 * joined once at the end, so a body costs its own size, never a copy per chunk.
 */
export function readBody(req: IncomingMessage, limit: number, done: (outcome: BodyOutcome) => void): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    done({ kind: 'too-large', size: Number(declared) });
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const settle = (outcome: BodyOutcome): void => {
    if (settled) return;
    settled = true;
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('close', onClose);
    chunks.length = outcome.kind === 'body' ? chunks.length : 0;
    done(outcome);
  };
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > limit) {
      req.pause();
      settle({ kind: 'too-large', size });
    } else chunks.push(chunk);
  };
  const onEnd = (): void => settle({ kind: 'body', body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size) });
  const onClose = (): void => settle({ kind: 'aborted' });
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('close', onClose);
  req.on('error', onClose);
}
