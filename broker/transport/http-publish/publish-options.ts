import { invalidOption, refuseUnknown } from '../../option-kit';
import { checkEndpointPath } from '../sse/sse-options';

/** Options of the HTTP publish endpoint (`POST <path>?destination=<d>`). */
export interface HttpPublishOptions {
  /** The path publishers POST to. @defaultValue `'/publish'` */
  path?: string;
  /**
   * The bearer token a request must carry (`Authorization: Bearer <token>`). Without one, the
   * server's `authenticate` hook decides from the request; one of the two is required.
   * @defaultValue none
   */
  token?: string;
}

/** The HTTP publish options after defaults, frozen. */
export type ResolvedHttpPublishOptions = Readonly<{ path: string; token: string | undefined }>;

/** The defaults of the HTTP publish options. */
export const HTTP_PUBLISH_DEFAULTS: ResolvedHttpPublishOptions = Object.freeze({ path: '/publish', token: undefined });

const HTTP_PUBLISH_OPTION_NAMES: ReadonlySet<string> = new Set(Object.keys(HTTP_PUBLISH_DEFAULTS));

function fail(option: string, expected: string, got: unknown): never {
  return invalidOption(option, expected, got);
}

/**
 * Resolves the `httpPublish` option: `false` (off) or an object of {@link HttpPublishOptions}.
 * A token is required unless the server has an `authenticate` hook (the server checks that,
 * see {@link requireCredentials}).
 * @throws StompError `STOMP_ERR_INVALID_OPTION` naming the field at fault
 */
export function resolveHttpPublishOptions(value: unknown): ResolvedHttpPublishOptions | false {
  if (value === false || value === undefined) return false;
  if (value === true) value = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('httpPublish', 'false or an object { path, token }', value);
  refuseUnknown(value, HTTP_PUBLISH_OPTION_NAMES, '', 'httpPublish.');
  const given = value as HttpPublishOptions;
  const path = given.path ?? HTTP_PUBLISH_DEFAULTS.path;
  checkEndpointPath('httpPublish.path', path);
  const token = given.token;
  if (token !== undefined && (typeof token !== 'string' || token.length < 8 || !/^[\x21-\x7e]+$/.test(token))) {
    fail('httpPublish.token', 'a string of at least 8 visible ASCII characters', typeof token === 'string' ? `<${token.length} characters>` : token);
  }
  return Object.freeze({ path, token });
}

/**
 * Without a token and without an `authenticate` hook, anyone could publish: refused at
 * construction, so that no deployment opens that by mistake.
 * @throws StompError `STOMP_ERR_INVALID_OPTION` naming `httpPublish.token`
 */
export function requireCredentials(options: ResolvedHttpPublishOptions | false, hasAuthenticate: boolean): void {
  if (options !== false && options.token === undefined && !hasAuthenticate) {
    fail('httpPublish.token', 'set when the server has no authenticate hook (anyone could publish)', undefined);
  }
}
