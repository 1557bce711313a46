/**
 * The protocol's own words (commands and the header names the STOMP 1.2 specification
 * defines) as constant strings. The decoder hands these out in place of fresh slices of a
 * frame's head: V8 keeps a constant's hash, so the header map and every later lookup by the
 * same name hash nothing new.
 */

import { CLIENT_COMMANDS, SERVER_COMMANDS } from './frame';

/** Client and server commands (the sets of frame.ts), and the headers of STOMP 1.2 §"Frames and Headers", by length. */
export const COMMAND_TOKENS = byLength([...CLIENT_COMMANDS, ...SERVER_COMMANDS]);
export const HEADER_TOKENS = byLength([
  'accept-version', 'host', 'login', 'passcode', 'heart-beat', 'version', 'session', 'server', 'destination', 'content-type',
  'content-length', 'receipt', 'receipt-id', 'id', 'ack', 'subscription', 'message-id', 'transaction', 'message',
]);

/** Tokens grouped by length, so a lookup compares only those as long as the text. */
export type TokenTable = readonly (readonly string[] | undefined)[];

function byLength(tokens: string[]): TokenTable {
  const out: string[][] = [];
  for (const t of tokens) (out[t.length] ??= []).push(t);
  return out;
}

/** The constant among `tokens` equal to `text[start, end)`, if any. */
export function knownToken(text: string, start: number, end: number, tokens: TokenTable): string | undefined {
  const candidates = tokens[end - start];
  if (candidates === undefined) return undefined;
  for (let i = 0; i < candidates.length; i++) if (text.startsWith(candidates[i], start)) return candidates[i];
  return undefined;
}
