/**
 * Operations surface: `/health`, Prometheus `/metrics` (prom-client, only when enabled) read
 * from plain counters, the `stats()` snapshot, and validation of the hardening options.
 */
import { DEFAULTS, StompServer, isStompError } from '../../broker';
import { closeClients, RawClient } from '../helpers/clients';
import { closeServers, startServer } from '../helpers/server';

afterEach(async () => {
  await closeClients();
  await closeServers();
});

/** The value of one sample line of a Prometheus text exposition, or undefined. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('/health', () => {
  it('answers 200 with the session count while serving', async () => {
    const running = await startServer();
    await RawClient.connected(running.ws('/stomp'));
    const res = await fetch(running.http('/health'));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'ok', sessions: 1 });
  });

  it('lives at a configurable path', async () => {
    expect(DEFAULTS.healthPath).toBe('/health');
    const running = await startServer({ healthPath: '/lb/ping' });
    expect((await fetch(running.http('/lb/ping'))).status).toBe(200);
  });
});

describe('/metrics', () => {
  it('is off by default', async () => {
    expect(DEFAULTS.metrics).toBe(false);
    expect(DEFAULTS.metricsPath).toBe('/metrics');
    const running = await startServer();
    expect((await fetch(running.http('/metrics'))).status).toBe(404);
  });

  it('exposes sessions, frames, messages, subscriptions, buffers, breaches, heart-beat timeouts and handler errors', async () => {
    const running = await startServer({ metrics: true, heartbeat: [0, 100], maxFramesPerSecond: 50 });
    running.server.onMessage('/app/fail', () => {
      throw new Error('no');
    });
    const client = await RawClient.connected(running.ws('/stomp'));
    client.send('SUBSCRIBE\nid:0\ndestination:/topic/m\nreceipt:r\n\n\0');
    await client.nextCommand('RECEIPT');
    client.send('SEND\ndestination:/topic/m\n\nhi\0');
    await client.nextCommand('MESSAGE');
    await running.server.template.convertAndSend('/topic/m', 'from the template');
    await client.nextCommand('MESSAGE');
    client.send('SEND\ndestination:/app/fail\nreceipt:f\n\n{}\0');
    await client.nextCommand('RECEIPT');
    const silent = await RawClient.connected(running.ws('/stomp'), { 'heart-beat': '100,0' });
    await silent.closed; // it never beats: the server times it out
    const flooder = await RawClient.connected(running.ws('/stomp'));
    flooder.send('SEND\ndestination:/topic/none\n\nx\0'.repeat(60));
    await flooder.closed;

    const res = await fetch(running.http('/metrics'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(sample(text, 'stompbox_sessions{transport="websocket"}')).toBe(1);
    expect(sample(text, 'stompbox_subscriptions')).toBe(1);
    expect(sample(text, 'stompbox_frames_in_total{command="CONNECT"}')).toBe(3);
    expect(sample(text, 'stompbox_frames_in_total{command="SUBSCRIBE"}')).toBe(1);
    expect(sample(text, 'stompbox_frames_out_total{command="CONNECTED"}')).toBe(3);
    expect(sample(text, 'stompbox_frames_out_total{command="MESSAGE"}')).toBe(2);
    expect(sample(text, 'stompbox_messages_published_total')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'stompbox_messages_delivered_total')).toBe(2);
    expect(sample(text, 'stompbox_buffered_bytes')).toBe(0);
    expect(sample(text, 'stompbox_breaches_total{kind="rate"}')).toBe(1);
    expect(sample(text, 'stompbox_breaches_total{kind="send-buffer"}')).toBe(0);
    expect(sample(text, 'stompbox_heartbeat_timeouts_total')).toBe(1);
    expect(sample(text, 'stompbox_handler_errors_total')).toBe(1);
    expect(sample(text, 'stompbox_sessions_closed_total{reason="heartbeat-timeout"}')).toBe(1);
    // Scraping twice reports the same totals (counters are set from the integers, not added twice).
    const again = await (await fetch(running.http('/metrics'))).text();
    expect(sample(again, 'stompbox_handler_errors_total')).toBe(1);
  });

  it('keeps a registry per server, so two servers in one process do not clash', async () => {
    const a = await startServer({ metrics: true });
    const b = await startServer({ metrics: true, metricsPath: '/prom' });
    await RawClient.connected(a.ws('/stomp'));
    expect(sample(await (await fetch(a.http('/metrics'))).text(), 'stompbox_sessions{transport="websocket"}')).toBe(1);
    expect(sample(await (await fetch(b.http('/prom'))).text(), 'stompbox_subscriptions')).toBe(0);
  });
});

describe('stats()', () => {
  it('snapshots sessions by transport, frames, messages, subscriptions, backpressure and heart-beats', async () => {
    const running = await startServer();
    const client = await RawClient.connected(running.ws('/stomp'));
    client.send('SUBSCRIBE\nid:0\ndestination:/topic/s\nreceipt:r\n\n\0');
    await client.nextCommand('RECEIPT');
    client.send('SEND\ndestination:/topic/s\n\nhi\0');
    await client.nextCommand('MESSAGE');
    const stats = running.server.stats();
    expect(stats).toMatchObject({
      sessions: { open: 1, connected: 1, byTransport: { websocket: 1 }, total: 1, refused: 0 },
      frames: { in: { CONNECT: 1, SUBSCRIBE: 1, SEND: 1 }, out: { CONNECTED: 1, RECEIPT: 1, MESSAGE: 1 } },
      messages: { published: 1, delivered: 1, dropped: 0 },
      subscriptions: 1,
      backpressure: { bufferedBytes: 0, bufferBreaches: 0, timeBreaches: 0, rateLimited: 0 },
      heartbeats: { timeouts: 0 },
      handlerErrors: 0,
      shuttingDown: false,
    });
    expect(stats.uptime).toBeGreaterThanOrEqual(0);
  });
});

describe('hardening options', () => {
  it.each([
    ['sendBufferLimit', 10],
    ['sendTimeLimit', 0],
    ['slowConsumerPolicy', 'block'],
    ['maxConnections', -1],
    ['maxFramesPerSecond', 1.5],
    ['shutdownTimeout', -5],
    ['metrics', 'yes'],
    ['metricsPath', 'metrics'],
    ['healthPath', '/health/'],
  ])('rejects %s = %p naming the option', (option, value) => {
    let thrown: unknown;
    try {
      new StompServer({ [option]: value } as never);
    } catch (err) {
      thrown = err;
    }
    expect(isStompError(thrown, 'STOMP_ERR_INVALID_OPTION')).toBe(true);
    expect((thrown as Error).message).toContain(`"${option}"`);
  });
});
