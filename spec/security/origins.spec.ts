/**
 * Origin checks: same origin by default, a handshake without Origin allowed (a non-browser
 * client), `allowedOrigins` exact, pattern or `*`; a refusal is HTTP 403 on the WebSocket
 * upgrade and on every SockJS request (info, transports, sends).
 */
import WebSocket from 'ws';
import { isStompError, StompServer } from '../../broker';
import { OriginPolicy } from '../../broker/security/origin-policy';
import { closeClients, RawClient } from '../helpers/clients';
import { closeServers, startServer, type Running } from '../helpers/server';
import { request } from './http';

afterEach(async () => {
  await closeClients();
  await closeServers();
});

/** The HTTP status of a WebSocket upgrade to `url` (101 when it opened). */
function upgradeStatus(url: string, origin: string | undefined): Promise<number> {
  // The SockJS websocket transport negotiates no subprotocol: offer none there.
  const protocols = url.includes('/000/') ? [] : ['v12.stomp'];
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols, origin === undefined ? {} : { origin });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('error', () => resolve(-1));
  });
}

const EVIL = 'http://evil.example';

describe('same origin by default', () => {
  let running: Running;
  beforeEach(async () => {
    running = await startServer({ sockjs: { disconnectDelay: 200 } });
  });

  it('accepts a WebSocket upgrade without Origin or from the server own origin', async () => {
    expect(await upgradeStatus(running.ws('/stomp'), undefined)).toBe(101);
    expect(await upgradeStatus(running.ws('/stomp'), `http://127.0.0.1:${running.port}`)).toBe(101);
    expect(await upgradeStatus(running.ws('/stomp/000/abc/websocket'), `http://127.0.0.1:${running.port}`)).toBe(101);
  });

  it('answers 403 to a WebSocket upgrade from another origin, plain or SockJS', async () => {
    expect(await upgradeStatus(running.ws('/stomp'), EVIL)).toBe(403);
    expect(await upgradeStatus(running.ws('/stomp/websocket'), EVIL)).toBe(403);
    expect(await upgradeStatus(running.ws('/stomp/000/abc/websocket'), EVIL)).toBe(403);
    expect(await upgradeStatus(running.ws('/stomp'), `http://127.0.0.1:${running.port + 1}`)).toBe(403);
  });

  it('answers 403 to every SockJS request from another origin', async () => {
    const p = running.port;
    const origin = { origin: EVIL };
    expect((await request(p, 'GET', '/stomp/info', origin)).status).toBe(403);
    expect((await request(p, 'POST', '/stomp/000/s1/xhr_streaming', origin)).status).toBe(403);
    expect((await request(p, 'POST', '/stomp/000/s1/xhr', origin)).status).toBe(403);
    expect((await request(p, 'POST', '/stomp/000/s1/xhr_send', origin, '["x"]')).status).toBe(403);
    expect((await request(p, 'GET', '/stomp/000/s1/eventsource', origin)).status).toBe(403);
    expect((await request(p, 'GET', '/stomp/000/s1/htmlfile?c=cb', origin)).status).toBe(403);
    expect((await request(p, 'GET', '/stomp/000/s1/jsonp?c=cb', origin)).status).toBe(403);
  });

  it('serves SockJS requests without Origin or from the same origin', async () => {
    const p = running.port;
    expect((await request(p, 'GET', '/stomp/info')).status).toBe(200);
    expect((await request(p, 'GET', '/stomp/info', { origin: `http://127.0.0.1:${p}` })).status).toBe(200);
    const opened = await request(p, 'POST', '/stomp/000/s2/xhr', { origin: `http://127.0.0.1:${p}` });
    expect([opened.status, opened.body]).toEqual([200, 'o\n']);
  });

  it('leaves requests outside the endpoints alone', async () => {
    expect((await request(running.port, 'GET', '/lib/sockjs.min.js', { origin: EVIL })).status).toBe(200);
  });
});

describe('allowedOrigins', () => {
  it('accepts exact origins and patterns, and refuses look-alikes', async () => {
    const running = await startServer({ allowedOrigins: ['https://app.test', 'https://*.example.com', 'http://localhost:*'] });
    const status = (origin: string): Promise<number> => upgradeStatus(running.ws('/stomp'), origin);
    expect(await status('https://app.test')).toBe(101);
    expect(await status('https://a.example.com')).toBe(101);
    expect(await status('https://a.b.example.com')).toBe(101);
    expect(await status('http://localhost:3000')).toBe(101);
    expect(await status('https://example.com.evil.io')).toBe(403);
    expect(await status('https://evilexample.com')).toBe(403);
    expect(await status('http://app.test')).toBe(403);
    expect(await status('null')).toBe(403);
    expect((await request(running.port, 'GET', '/stomp/info', { origin: 'https://a.example.com' })).status).toBe(200);
    expect((await request(running.port, 'GET', '/stomp/info', { origin: 'https://example.com.evil.io' })).status).toBe(403);
  });

  it('accepts every origin with "*"', async () => {
    const running = await startServer({ allowedOrigins: ['*'] });
    expect(await upgradeStatus(running.ws('/stomp'), EVIL)).toBe(101);
    const c = await RawClient.connected(running.ws('/stomp'));
    expect(c.frames[0].command).toBe('CONNECTED');
  });

  it('refuses an entry that is not an origin, naming the option', () => {
    let caught: unknown;
    try {
      new StompServer({ allowedOrigins: ['https://app.test/path'] });
    } catch (err) {
      caught = err;
    }
    expect(isStompError(caught, 'STOMP_ERR_INVALID_OPTION')).toBe(true);
    expect((caught as Error).message).toContain('"allowedOrigins"');
    expect(() => new StompServer({ allowedOrigins: 'https://app.test' as never })).toThrow(/"allowedOrigins"/);
  });

  it('defaults to same origin only', () => {
    expect(new StompServer().options.allowedOrigins).toEqual([]);
    expect(new OriginPolicy([]).allows({ origin: 'http://h:81', host: 'h:81' })).toBe(true);
    expect(new OriginPolicy([]).allows({ origin: 'https://h', host: 'h:443' })).toBe(true);
  });
});
