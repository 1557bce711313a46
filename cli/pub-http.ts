import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { CliError, EXIT } from './exit-codes';

/** One message for `POST <url>?destination=<d>`. */
export interface HttpMessage {
  readonly body: string;
  readonly contentType: string;
}

/**
 * `stompbox pub --http`: each message as one `POST <url>?destination=<d>` (the server's HTTP
 * publish endpoint, docs/sse.md), one after the other on a keep-alive connection, with
 * `Authorization: Bearer <token>` when a token is given. Resolves once every request was
 * answered 202; the first other answer stops it with the server's message.
 */
export class HttpPublisher {
  private readonly target: URL;
  private readonly agent: Agent;
  private readonly send: typeof request;

  constructor(
    url: string,
    destination: string,
    private readonly token: string | undefined,
    private readonly timeout: number,
  ) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CliError(`"${url}" is not a URL (pub --http needs http://host:port/publish)`, EXIT.badUrl);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new CliError(`pub --http needs an http or https URL; received "${parsed.protocol}"`, EXIT.badUrl);
    }
    parsed.searchParams.set('destination', destination);
    this.target = parsed;
    const secure = parsed.protocol === 'https:';
    this.agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: 1 }) : new Agent({ keepAlive: true, maxSockets: 1 });
    this.send = secure ? (httpsRequest as unknown as typeof request) : request;
  }

  /** POSTs one message; resolves on 202. @throws CliError with the status's exit code and the server's message */
  publish(message: HttpMessage): Promise<void> {
    const headers: Record<string, string | number> = { 'content-type': message.contentType, 'content-length': Buffer.byteLength(message.body) };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    return new Promise((resolve, reject) => {
      const req = this.send(this.target, { method: 'POST', headers, agent: this.agent, timeout: this.timeout }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c.length + text.length > 4096 ? '' : c));
        res.on('end', () => {
          if (res.statusCode === 202) resolve();
          else reject(new CliError(`HTTP ${res.statusCode}: ${text.trim() || res.statusMessage}`, exitCodeOf(res.statusCode ?? 0)));
        });
      });
      req.once('timeout', () => req.destroy(new CliError(`no answer from ${this.target.origin} within ${this.timeout} ms`, EXIT.timeout)));
      req.once('error', (err: NodeJS.ErrnoException) => {
        reject(err instanceof CliError ? err : new CliError(`cannot reach ${this.target.origin}: ${err.code ?? err.message}`, EXIT.unreachable));
      });
      req.end(message.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** 5 (the server refused, as for an ERROR frame) for 4xx, 4 (unreachable) for 5xx. */
function exitCodeOf(status: number): number {
  return status >= 400 && status < 500 ? EXIT.stompError : status >= 500 ? EXIT.unreachable : EXIT.failure;
}
