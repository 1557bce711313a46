/**
 * Version negotiation (STOMP 1.2 §"Protocol Negotiation"): the client lists the versions it
 * accepts; the server picks the highest one both speak. A CONNECT without `accept-version` is
 * a STOMP 1.0 client.
 */
export type StompVersion = '1.2' | '1.1' | '1.0';

/** Every version the broker speaks, newest first. */
export const SUPPORTED_VERSIONS: readonly StompVersion[] = ['1.2', '1.1', '1.0'];

/**
 * Picks the version for a session, or `undefined` when the client accepts none of ours.
 * @param acceptVersion the raw `accept-version` header, e.g. `"1.2,1.1,1.0"`
 */
export function negotiateVersion(acceptVersion: string | undefined): StompVersion | undefined {
  if (acceptVersion === undefined) return '1.0';
  const offered = acceptVersion.split(',').map((v) => v.trim());
  return SUPPORTED_VERSIONS.find((v) => offered.includes(v));
}

/** The WebSocket subprotocols of STOMP, preferred first (`v12.stomp` …). */
export const SUBPROTOCOLS: readonly string[] = ['v12.stomp', 'v11.stomp', 'v10.stomp'];
