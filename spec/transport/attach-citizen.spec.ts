import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as ioClient, type Socket as IoSocket } from 'socket.io-client';
import { Server as IoServer } from 'socket.io';
import WebSocket, { WebSocketServer } from 'ws';
import { StompServer } from '../../broker';
import { closeClients, stompClient, type Transport } from '../helpers/clients';

// Express ships no types of its own here; these specs use the few calls below.
type Handler = (req: any, res: any, next?: (err?: unknown) => void) => void;
interface ExpressApp extends Handler {
  use(fn: Handler): void;
  get(path: string, fn: Handler): void;
  post(path: string, ...fns: Handler[]): void;
}
interface ExpressModule {
  (): ExpressApp;
  json(): Handler;
}
const express4 = require('express4') as ExpressModule;
const express5 = require('express') as ExpressModule;
const fastify = require('fastify') as (opts: object) => any;

/**
 * `attach()` on a server the application owns, beside Express 4 and 5, Fastify, socket.io and a
 * second `ws` server, both orders: each side's own requests and upgrades work, with real clients
 * on both sides, and neither answers, destroys or delays the other's.
 */

type Order = 'stomp first' | 'stomp last';
const ORDERS: Order[] = ['stomp first', 'stomp last'];

type AppCloser = (() => Promise<void>) | void;

interface Fixture {
  http: Server;
  stomp: StompServer;
  base: string;
  close(): Promise<void>;
}

/** Builds the HTTP server with stompbox and the app's part added in `order`. */
async function build(order: Order, addApp: (http: Server, stomp: StompServer) => AppCloser | Promise<AppCloser>, config = {}): Promise<Fixture> {
  const http = createServer();
  const stomp = new StompServer({ endpoints: ['/stomp'], sockjs: { disconnectDelay: 200 }, ...config });
  let closeApp: AppCloser = undefined;
  if (order === 'stomp first') stomp.attach(http);
  closeApp = await addApp(http, stomp);
  if (order === 'stomp last') stomp.attach(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const base = `127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    http,
    stomp,
    base,
    async close() {
      await closeClients();
      await stomp.close();
      if (closeApp) await closeApp();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

function httpRequest(base: string, path: string, method = 'GET', body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: IncomingMessage['headers'] }> {
  return new Promise((resolve, reject) => {
    const req = request(`http://${base}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What stompbox's side must do on the shared server: STOMP over WebSocket and over SockJS HTTP polling, a message through. */
async function stompWorks(base: string, transports: Transport[] = ['websocket', 'xhr-polling']): Promise<void> {
  for (const transport of transports) {
    const alice = await stompClient(`http://${base}/stomp`, transport, { login: 'alice' });
    const inbox = await alice.subscribe('/topic/t');
    alice.client.publish({ destination: '/topic/t', body: `over ${transport}` });
    const [m] = await inbox.wait(1);
    expect(m.body).toBe(`over ${transport}`);
    await alice.disconnect();
  }
}

/** A connect-style app: its own /hello, its own /health, a JSON POST; our paths through stomp.middleware(). */
function expressApp(make: ExpressModule, stomp: StompServer): ExpressApp {
  const app = make();
  app.use(stomp.middleware());
  app.get('/hello', (_req, res) => res.send('app hello'));
  app.get('/health', (_req, res) => res.send('app health'));
  app.post('/echo', make.json(), (req, res) => res.json({ got: req.body }));
  return app;
}

async function appWorks(base: string): Promise<void> {
  expect(await httpRequest(base, '/hello')).toMatchObject({ status: 200, body: 'app hello' });
  // attach() leaves the app its own /health: ours is opt-in on a server the app owns.
  expect(await httpRequest(base, '/health')).toMatchObject({ status: 200, body: 'app health' });
  const echo = await httpRequest(base, '/echo', 'POST', JSON.stringify({ a: 1 }), { 'content-type': 'application/json' });
  expect(echo.status).toBe(200);
  expect(JSON.parse(echo.body)).toEqual({ got: { a: 1 } });
  expect((await httpRequest(base, '/nowhere')).status).toBe(404);
}

describe.each(ORDERS)('attach() beside frameworks on one HTTP server (%s)', (order) => {
  let f: Fixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  it.each([
    ['Express 4', express4],
    ['Express 5', express5],
  ] as const)('%s: the app keeps its routes, /health and bodies; STOMP works over WebSocket and SockJS', async (_name, make) => {
    f = await build(order, (http, stomp) => void http.on('request', expressApp(make, stomp)));
    await appWorks(f.base);
    await stompWorks(f.base);
    await appWorks(f.base);
  });

  it('Fastify: the app keeps its routes, /health and bodies; STOMP works over WebSocket and SockJS', async () => {
    f = await build(order, async (http, stomp) => {
      const app = fastify({
        serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
          http.on('request', handler);
          return http;
        },
      });
      // Fastify answers unknown paths with its 404: our paths leave its lifecycle at the first hook.
      app.addHook('onRequest', async (request: any, reply: any) => {
        if (stomp.httpRouter.take(request.raw, reply.raw)) {
          reply.hijack();
          return reply;
        }
      });
      app.get('/hello', async () => 'app hello');
      app.get('/health', async () => 'app health');
      app.post('/echo', async (request: any) => ({ got: request.body }));
      await app.ready();
      return async () => undefined;
    });
    await appWorks(f.base);
    await stompWorks(f.base);
    await appWorks(f.base);
  });

  it('socket.io: its clients connect (polling, then upgraded to WebSocket) and exchange events while STOMP works', async () => {
    let io: IoServer | undefined;
    f = await build(order, (http) => {
      io = new IoServer(http);
      io.on('connection', (socket) => socket.on('ping?', (text: string, ack: (reply: string) => void) => ack(`pong ${text}`)));
      return async () => {
        io!.disconnectSockets(true);
        io!.engine.close();
      };
    });
    const client: IoSocket = ioClient(`http://${f.base}`, { transports: ['polling', 'websocket'], reconnection: false });
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('connect_error', reject);
      });
      // Wait for the upgrade to WebSocket, then talk over it.
      await new Promise<void>((resolve) => {
        if (client.io.engine.transport.name === 'websocket') resolve();
        else client.io.engine.once('upgrade', () => resolve());
      });
      expect(client.io.engine.transport.name).toBe('websocket');
      expect(await client.timeout(5000).emitWithAck('ping?', 'one')).toBe('pong one');
      await stompWorks(f.base);
      expect(await client.timeout(5000).emitWithAck('ping?', 'two')).toBe('pong two');
    } finally {
      client.close();
    }
  });

  it('a second ws server (noServer, its own upgrade listener for /other): both sides get their upgrades', async () => {
    let wss: WebSocketServer | undefined;
    f = await build(order, (http) => {
      wss = new WebSocketServer({ noServer: true });
      wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo ${data.toString()}`)));
      http.on('upgrade', (req, socket, head) => {
        if (req.url === '/other') wss!.handleUpgrade(req, socket, head, (ws) => wss!.emit('connection', ws, req));
      });
      return async () => {
        for (const ws of wss!.clients) ws.terminate();
        wss!.close();
      };
    });
    const echo = async (): Promise<string> => {
      const ws = new WebSocket(`ws://${f!.base}/other`);
      try {
        await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
        ws.send('hi');
        return await new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
      } finally {
        ws.close();
      }
    };
    expect(await echo()).toBe('echo hi');
    await stompWorks(f.base, ['websocket', 'sockjs-websocket']);
    expect(await echo()).toBe('echo hi');
  });

  it('leaves an unowned request and upgrade alone while another listener exists, and answers neither late', async () => {
    const seen: string[] = [];
    f = await build(order, (http) => {
      http.on('request', (req, res) => {
        seen.push(`request ${req.url}`);
        // The app answers its paths later; nobody else may have touched the response meanwhile.
        setTimeout(() => res.end(`late ${String(res.headersSent)}`), 50);
      });
      http.on('upgrade', (req, socket) => {
        seen.push(`upgrade ${req.url}`);
        setTimeout(() => socket.end(`HTTP/1.1 418 I'm a teapot\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`), 50);
      });
    });
    expect(await httpRequest(f.base, '/mine')).toMatchObject({ status: 200, body: 'late false' });
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://${f!.base}/mine-too`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => undefined);
    });
    expect(refused).toBe(418);
    expect(seen).toEqual(['request /mine', 'upgrade /mine-too']);
  });
});

describe('attach(): health, metrics and the lone listener', () => {
  const servers: Server[] = [];
  const stomps: StompServer[] = [];
  afterEach(async () => {
    await closeClients();
    for (const s of stomps.splice(0)) await s.close();
    for (const h of servers.splice(0)) {
      h.closeAllConnections();
      await new Promise((resolve) => h.close(resolve));
    }
  });

  async function attached(config: ConstructorParameters<typeof StompServer>[0] = {}): Promise<string> {
    const http = createServer();
    const stomp = new StompServer({ endpoints: ['/stomp'], ...config }).attach(http);
    servers.push(http);
    stomps.push(stomp);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(http.address() as AddressInfo).port}`;
  }

  it('serves no health check or metrics on an attached server unless their paths are set', async () => {
    const base = await attached({ metrics: true });
    expect((await httpRequest(base, '/health')).status).toBe(404);
    expect((await httpRequest(base, '/metrics')).status).toBe(404);
  });

  it('serves the health check and metrics at the paths given explicitly', async () => {
    const base = await attached({ healthPath: '/stomp-health', metrics: true, metricsPath: '/stomp-metrics' });
    const health = await httpRequest(base, '/stomp-health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', sessions: 0 });
    const metrics = await httpRequest(base, '/stomp-metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('stompbox_');
  });

  it('serves /health on a server of its own (listen) and not with healthPath false', async () => {
    const on = new StompServer({ endpoints: ['/stomp'] });
    const off = new StompServer({ endpoints: ['/stomp'], healthPath: false, metrics: true, metricsPath: false });
    stomps.push(on, off);
    const a = await on.listen(0, '127.0.0.1');
    const b = await off.listen(0, '127.0.0.1');
    expect((await httpRequest(`127.0.0.1:${a.port}`, '/health')).status).toBe(200);
    expect((await httpRequest(`127.0.0.1:${b.port}`, '/health')).status).toBe(404);
    expect((await httpRequest(`127.0.0.1:${b.port}`, '/metrics')).status).toBe(404);
  });

  it('answers 404 to unowned requests and upgrades only while it is the sole listener', async () => {
    const base = await attached();
    expect((await httpRequest(base, '/elsewhere')).status).toBe(404);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://${base}/elsewhere`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(404);
  });
});
