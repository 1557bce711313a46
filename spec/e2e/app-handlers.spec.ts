/**
 * The decorator style end to end: a controller registered on a real server, raw WebSocket
 * clients sending literal frames; return-value routing, subscribe replies, validation and
 * exception handling as the client sees them.
 */
import { z } from 'zod';
import {
  ControllerAdvice,
  MessageExceptionHandler,
  MessageMapping,
  SendTo,
  SendToUser,
  StompError,
  SubscribeMapping,
  type MessageContext,
} from '../../broker';
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, startServer, type Running } from '../helpers/server';

class QuotaError extends Error {}
class TinyQuotaError extends QuotaError {}

const Order = z.object({ item: z.string().min(1), qty: z.number().int().positive() });

@MessageMapping('/shop')
class ShopController {
  @MessageMapping('/{aisle}/order', { schema: Order })
  @SendTo('/topic/orders/{aisle}')
  order(order: z.infer<typeof Order>, ctx: MessageContext): string {
    return `${ctx.user ?? 'anonymous'} ordered ${order.qty} ${order.item} in ${ctx.params.aisle}`;
  }

  @MessageMapping('/echo')
  echo(text: string): string {
    return `echo ${text}`;
  }

  @MessageMapping('/mine')
  @SendToUser('/queue/mine')
  mine(text: string): string {
    return `all sessions: ${text}`;
  }

  @MessageMapping('/this-session')
  @SendToUser('/queue/mine', { broadcast: false })
  thisSession(text: string): string {
    return `this session: ${text}`;
  }

  @MessageMapping('/defaults')
  @SendTo()
  defaults(text: string): string {
    return `default ${text}`;
  }

  @MessageMapping('/to-me')
  @SendToUser()
  toMe(text: string): string {
    return `to me ${text}`;
  }

  @MessageMapping('/count')
  @SendTo('/topic/count')
  async *count(n: string): AsyncIterable<string> {
    for (let i = 1; i <= Number(n); i++) yield `${i}`;
  }

  @MessageMapping('/stream')
  @SendTo('/topic/stream')
  async *stream(): AsyncIterable<string> {
    yield 'first';
    await gate.promise;
    throw new Error('stream broke');
  }

  @SubscribeMapping('/catalog')
  catalog(ctx: MessageContext): string[] {
    return ['apples', ctx.destination];
  }

  @MessageMapping('/quota')
  quota(): never {
    throw new TinyQuotaError('over quota');
  }

  @MessageMapping('/broken')
  async broken(): Promise<never> {
    throw new Error('kaput');
  }

  @MessageExceptionHandler(QuotaError)
  @SendToUser('/queue/quota', { broadcast: false })
  onQuota(err: QuotaError, ctx: MessageContext): string {
    return `quota: ${err.message} at ${ctx.destination}`;
  }
}

@ControllerAdvice()
class Advice {
  @MessageExceptionHandler(StompError)
  @SendToUser('/queue/advice', { broadcast: false })
  onStompError(err: StompError): string {
    return `advice: ${err.code}`;
  }
}

let running: Running;
/** Holds the /shop/stream generator between its items until the test releases it. */
let gate: { promise: Promise<void>; open(): void };

beforeEach(() => {
  let open!: () => void;
  gate = { promise: new Promise<void>((resolve) => (open = resolve)), open: () => open() };
});

beforeEach(async () => {
  running = await startServer({ brokerPrefixes: ['/topic', '/queue'] });
  running.server.register(new ShopController());
});

afterEach(async () => {
  await closeClients();
  await closeServers();
});

let receipts = 0;

async function subscribe(c: RawClient, id: string, destination: string): Promise<void> {
  const r = `sub-${++receipts}`;
  c.send(`SUBSCRIBE\nid:${id}\ndestination:${destination}\nreceipt:${r}\n\n\0`);
  await c.nextMatching((f) => f.command === 'RECEIPT' && header(f, 'receipt-id') === r, `RECEIPT ${r}`);
}

function send(c: RawClient, destination: string, body: string, headers: Record<string, string> = {}): void {
  const lines = Object.entries(headers).map(([n, v]) => `${n}:${v}\n`).join('');
  c.send(`SEND\ndestination:${destination}\n${lines}\n${body}\0`);
}

const messageOn = (c: RawClient, sub: string) => c.nextMatching((f) => f.command === 'MESSAGE' && header(f, 'subscription') === sub, `MESSAGE on ${sub}`);

describe('decorated controllers', () => {
  it('routes a return value to @SendTo with destination variables filled, after validating the payload', async () => {
    const c = await RawClient.connected(running.ws('/stomp'), { login: 'ann' });
    await subscribe(c, 's1', '/topic/orders/fruit');
    send(c, '/shop/fruit/order', JSON.stringify({ item: 'pear', qty: 2 }), { 'content-type': 'application/json' });
    const m = await messageOn(c, 's1');
    expect(m.body.toString()).toBe('ann ordered 2 pear in fruit');
    expect(header(m, 'destination')).toBe('/topic/orders/fruit');
  });

  it('routes a return value without @SendTo to /topic + the mapped destination', async () => {
    const c = await RawClient.connected(running.ws('/stomp'));
    await subscribe(c, 's1', '/topic/shop/echo');
    send(c, '/shop/echo', 'hi');
    expect((await messageOn(c, 's1')).body.toString()).toBe('echo hi');
  });

  it('falls back to the mapped destination for @SendTo() and @SendToUser() without destinations', async () => {
    const c = await RawClient.connected(running.ws('/stomp'), { login: 'dee' });
    await subscribe(c, 'topic', '/topic/shop/defaults');
    await subscribe(c, 'user', '/user/queue/shop/to-me');
    send(c, '/shop/defaults', 'a');
    expect((await messageOn(c, 'topic')).body.toString()).toBe('default a');
    send(c, '/shop/to-me', 'b');
    expect((await messageOn(c, 'user')).body.toString()).toBe('to me b');
  });

  it('sends @SendToUser replies to every session of the user, or only the sender with broadcast false', async () => {
    const a = await RawClient.connected(running.ws('/stomp'), { login: 'bob' });
    const b = await RawClient.connected(running.ws('/stomp'), { login: 'bob' });
    const other = await RawClient.connected(running.ws('/stomp'), { login: 'eve' });
    for (const c of [a, b, other]) await subscribe(c, 'mine', '/user/queue/mine');
    send(a, '/shop/mine', 'x');
    expect((await messageOn(a, 'mine')).body.toString()).toBe('all sessions: x');
    expect((await messageOn(b, 'mine')).body.toString()).toBe('all sessions: x');
    send(a, '/shop/this-session', 'y');
    expect((await messageOn(a, 'mine')).body.toString()).toBe('this session: y');
    // b sees nothing more: its next MESSAGE is the one sent after.
    send(b, '/shop/this-session', 'z');
    expect((await messageOn(b, 'mine')).body.toString()).toBe('this session: z');
    expect(other.frames.filter((f) => f.command === 'MESSAGE')).toEqual([]);
  });

  it('sends each item of an AsyncIterable result as its own MESSAGE', async () => {
    const c = await RawClient.connected(running.ws('/stomp'));
    await subscribe(c, 's1', '/topic/count');
    send(c, '/shop/count', '3');
    const bodies = [];
    for (let i = 0; i < 3; i++) bodies.push((await messageOn(c, 's1')).body.toString());
    expect(bodies).toEqual(['1', '2', '3']);
  });

  it('goes on with the session while a stream flows, and reports an error thrown mid-stream', async () => {
    const c = await RawClient.connected(running.ws('/stomp'));
    await subscribe(c, 's', '/topic/stream');
    await subscribe(c, 'errors', '/user/queue/errors');
    send(c, '/shop/stream', '', { receipt: 'streaming' });
    expect((await messageOn(c, 's')).body.toString()).toBe('first');
    // The generator is parked on the gate, yet the RECEIPT came: the session did not wait for the stream.
    await c.messagesMatching((m) => m.data.toString().startsWith('RECEIPT\nreceipt-id:streaming\n'), 1);
    gate.open();
    const error = JSON.parse((await messageOn(c, 'errors')).body.toString());
    expect(error).toMatchObject({ code: 'STOMP_ERR_HANDLER_FAILED', message: 'stream broke' });
  });

  it('answers a @SubscribeMapping to the subscribing session only', async () => {
    const c = await RawClient.connected(running.ws('/stomp'));
    const watcher = await RawClient.connected(running.ws('/stomp'));
    await subscribe(watcher, 'w', '/topic/shop/catalog');
    c.send('SUBSCRIBE\nid:cat\ndestination:/shop/catalog\n\n\0');
    const m = await messageOn(c, 'cat');
    expect(JSON.parse(m.body.toString())).toEqual(['apples', '/shop/catalog']);
    expect(header(m, 'content-type')).toBe('application/json');
    expect(watcher.frames.filter((f) => f.command === 'MESSAGE')).toEqual([]);
  });

  it('reports a validation failure to /user/queue/errors with its issues and keeps the session', async () => {
    const c = await RawClient.connected(running.ws('/stomp'));
    await subscribe(c, 'errors', '/user/queue/errors');
    send(c, '/shop/fruit/order', JSON.stringify({ item: '', qty: -1 }), { 'content-type': 'application/json', receipt: 'r-1' });
    const m = await messageOn(c, 'errors');
    expect(header(m, 'receipt-id')).toBe('r-1');
    const body = JSON.parse(m.body.toString());
    expect(body).toMatchObject({ code: 'STOMP_ERR_INVALID_PAYLOAD', destination: '/shop/fruit/order' });
    expect(body.issues.map((i: { path: string[] }) => i.path[0]).sort()).toEqual(['item', 'qty']);
    await c.nextMatching((f) => f.command === 'RECEIPT' && header(f, 'receipt-id') === 'r-1', 'RECEIPT r-1');
    await subscribe(c, 'still', '/topic/still');
  });

  it('reports a JSON body that does not parse as STOMP_ERR_INVALID_JSON, not a malformed frame, and keeps the session', async () => {
    const c = await RawClient.connected(running.ws('/stomp'));
    await subscribe(c, 'errors', '/user/queue/errors');
    send(c, '/shop/fruit/order', '{"item": "apple", qty', { 'content-type': 'application/json;charset=utf-8', receipt: 'r-json' });
    const m = await messageOn(c, 'errors');
    expect(header(m, 'receipt-id')).toBe('r-json');
    const body = JSON.parse(m.body.toString());
    expect(body).toMatchObject({ code: 'STOMP_ERR_INVALID_JSON', destination: '/shop/fruit/order' });
    expect(body.message).toContain('not valid JSON');
    await c.nextMatching((f) => f.command === 'RECEIPT' && header(f, 'receipt-id') === 'r-json', 'RECEIPT r-json');
    expect(c.frames.some((f) => f.command === 'ERROR')).toBe(false);
    await subscribe(c, 'still', '/topic/still');
  });

  it('reports a thrown error with the correlation-id and warns in the log', async () => {
    const warnings: object[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (o: object) => void warnings.push(o) };
    const r = await startServer({ logger });
    r.server.register(new ShopController());
    const c = await RawClient.connected(r.ws('/stomp'));
    await subscribe(c, 'errors', '/user/queue/errors');
    send(c, '/shop/broken', 'x', { 'correlation-id': 'c-9' });
    const m = await messageOn(c, 'errors');
    expect(header(m, 'correlation-id')).toBe('c-9');
    expect(JSON.parse(m.body.toString())).toEqual({ code: 'STOMP_ERR_HANDLER_FAILED', message: 'kaput', destination: '/shop/broken' });
    expect(warnings).toContainEqual(expect.objectContaining({ handler: 'ShopController.broken', err: 'kaput' }));
  });

  it('hands an error to the controller @MessageExceptionHandler for its class or a parent class', async () => {
    const c = await RawClient.connected(running.ws('/stomp'));
    await subscribe(c, 'quota', '/user/queue/quota');
    await subscribe(c, 'errors', '/user/queue/errors');
    send(c, '/shop/quota', 'x');
    expect((await messageOn(c, 'quota')).body.toString()).toBe('quota: over quota at /shop/quota');
    send(c, '/shop/echo', 'after');
    await subscribe(c, 'ok', '/topic/ok');
    expect(c.frames.filter((f) => header(f, 'subscription') === 'errors')).toEqual([]);
  });

  it('hands errors no controller handles to @ControllerAdvice handlers', async () => {
    running.server.register(new Advice());
    const c = await RawClient.connected(running.ws('/stomp'));
    await subscribe(c, 'advice', '/user/queue/advice');
    send(c, '/shop/fruit/order', '{}', { 'content-type': 'application/json' });
    expect((await messageOn(c, 'advice')).body.toString()).toBe('advice: STOMP_ERR_INVALID_PAYLOAD');
  });

  it('refuses an onMessage mapping ambiguous with a controller mapping, naming both', () => {
    expect(() => running.server.onMessage('/shop/*/order', () => undefined)).toThrow(
      /"\/shop\/\*\/order".*ambiguous.*"\/shop\/\{aisle\}\/order" \(ShopController\.order\)/,
    );
  });
});

describe('functional and decorator styles together', () => {
  it('serves onMessage handlers with a schema and onException handlers from the same registry', async () => {
    running.server
      .onMessage('/greet/{name}', (p: { n: number }, ctx) => `hello ${ctx.params.name} x${p.n}`, { schema: z.object({ n: z.number() }), sendTo: ['/topic/greet'] })
      .onException([StompError], (err: StompError) => `handled ${err.code}`, { sendToUser: '/queue/handled', broadcast: false });
    const c = await RawClient.connected(running.ws('/stomp'));
    await subscribe(c, 'g', '/topic/greet');
    await subscribe(c, 'h', '/user/queue/handled');
    send(c, '/greet/kim', '{"n":2}');
    expect((await messageOn(c, 'g')).body.toString()).toBe('hello kim x2');
    send(c, '/greet/kim', '{"n":"two"}');
    expect((await messageOn(c, 'h')).body.toString()).toBe('handled STOMP_ERR_INVALID_PAYLOAD');
  });
});
