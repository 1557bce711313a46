/**
 * Authentication end to end: `authenticate({ request, connectHeaders })` sees the HTTP
 * handshake (headers, cookies, query, remote address) and the CONNECT headers, over plain
 * WebSocket and every SockJS transport; a refusal is ERROR STOMP_ERR_UNAUTHORIZED, then close.
 */
import type { AuthenticateRequest, Principal } from '../../broker';
import { StompError, StompServer } from '../../broker';
import { closeClients, header, RawClient, stompClient, type Transport } from '../helpers/clients';
import { closeServers, startServer, type Running } from '../helpers/server';
import { request } from './http';

let running: Running;
let seen: AuthenticateRequest[];

/** Users by token (query), session cookie, or login + passcode. */
function authenticate(req: AuthenticateRequest): Principal | undefined | false {
  seen.push(req);
  const { query, cookies } = req.request;
  if (query.token === 't-ann') return { name: 'ann' };
  if (cookies.session === 's-zed') return 'zed';
  if (req.connectHeaders.get('passcode') === 'secret') return req.connectHeaders.get('login');
  if (req.connectHeaders.get('login') === 'guest') return undefined;
  if (req.connectHeaders.get('login') === 'boom') throw new Error('database down: do not leak this');
  return false;
}

beforeEach(async () => {
  seen = [];
  running = await startServer({ authenticate, sockjs: { disconnectDelay: 500 } });
});

afterEach(async () => {
  await closeClients();
  await closeServers();
});

const TRANSPORTS: Transport[] = ['websocket', 'sockjs-websocket', 'xhr-streaming', 'xhr-polling', 'eventsource'];

describe.each(TRANSPORTS)('authenticate over %s', (transport) => {
  it('names the principal from the handshake query and shows it the request', async () => {
    const c = await stompClient(running.http('/stomp?token=t-ann'), transport);
    expect(c.connected.headers['user-name']).toBe('ann');
    const [req] = seen;
    expect(req.request.query).toEqual({ token: 't-ann' });
    expect(req.request.remoteAddress).toMatch(/127\.0\.0\.1$/);
    expect(req.request.headers.host).toBe(`127.0.0.1:${running.port}`);
    const [session] = running.server.sessions.values();
    expect([session.user, session.principal]).toEqual(['ann', { name: 'ann' }]);
  });

  it('names the principal from the CONNECT headers', async () => {
    const c = await stompClient(running.http('/stomp'), transport, { login: 'bob', passcode: 'secret' });
    expect(c.connected.headers['user-name']).toBe('bob');
  });

  it('refuses a CONNECT with ERROR STOMP_ERR_UNAUTHORIZED', async () => {
    await expect(stompClient(running.http('/stomp'), transport, { login: 'bob', passcode: 'wrong' })).rejects.toThrow(/^ERROR .*Authentication failed/);
    expect(running.server.sessions.size).toBe(0);
  });
});

describe('authenticate', () => {
  it('reads cookies of a SockJS session from the request that opened it', async () => {
    const base = `/stomp/000/cookie${Date.now()}`;
    // A browser sends the same cookies with every request of the session (which is bound to them).
    const cookie = { cookie: 'theme=dark; session=s-zed' };
    expect((await request(running.port, 'POST', `${base}/xhr`, cookie)).body).toBe('o\n');
    const frame = JSON.stringify(['CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0']);
    expect((await request(running.port, 'POST', `${base}/xhr_send`, { 'content-type': 'text/plain', ...cookie }, frame)).status).toBe(204);
    const reply = await request(running.port, 'POST', `${base}/xhr`, cookie);
    expect(reply.body).toMatch(/^a\["CONNECTED\\n.*user-name:zed/);
    expect(seen[0].request.cookies).toEqual({ theme: 'dark', session: 's-zed' });
  });

  it('lets a CONNECT in anonymously when authenticate returns undefined', async () => {
    const c = await RawClient.connected(running.ws('/stomp'), { login: 'guest' });
    expect(header(c.frames[0], 'user-name')).toBeUndefined();
  });

  it('closes the connection after the ERROR and keeps the thrown reason out of it', async () => {
    const c = await RawClient.open(running.ws('/stomp'));
    c.send('CONNECT\naccept-version:1.2\nlogin:boom\nreceipt:r\n\n\0');
    const error = await c.nextCommand('ERROR');
    expect(header(error, 'code')).toBe('STOMP_ERR_UNAUTHORIZED');
    expect(error.body.toString()).not.toContain('database');
    expect((await c.closed).code).toBe(1000);
  });

  it('passes a StompError with STOMP_ERR_UNAUTHORIZED through with its own message', async () => {
    const r = await startServer({
      authenticate: () => {
        throw new StompError('STOMP_ERR_UNAUTHORIZED', 'token expired');
      },
    });
    const c = await RawClient.open(r.ws('/stomp'));
    c.send('CONNECT\naccept-version:1.2\n\n\0');
    expect(header(await c.nextCommand('ERROR'), 'message')).toBe('token expired');
  });

  it('without an authenticate option, takes the CONNECT login as the principal', async () => {
    const r = await startServer();
    const c = await RawClient.connected(r.ws('/stomp'), { login: 'dev' });
    expect(header(c.frames[0], 'user-name')).toBe('dev');
  });

  it('refuses an authenticate option that is not a function', () => {
    expect(() => new StompServer({ authenticate: 'yes' as never })).toThrow(/Option "authenticate" must be a function/);
  });
});
