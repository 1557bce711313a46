/**
 * STOMP over TCP (docs/tcp.md) attacked with raw sockets: a 1 GB content-length claim, a
 * slowloris client sending a byte a second before CONNECT, thousands of idle connections that
 * never send CONNECT, and half-closed sockets. The contract: a claim allocates nothing, every
 * connection is bounded by `connectTimeout` and `maxConnections`, and the bystander (over
 * WebSocket) keeps working.
 */
import { expectWithin, log, Measurement } from '../measure';
import { arena, openRaw as open, within, type Raw } from './arena';


describe('STOMP over TCP under attack', () => {
  const get = arena({ options: { tcp: { port: 0 }, connectTimeout: 2000, maxConnections: 500 } });

  it('a 1 GB content-length claim gets STOMP_ERR_FRAME_TOO_LARGE and allocates nothing', async () => {
    const { broker, bystander } = get();
    const raw = await open(broker.tcpPort!);
    const m = await Measurement.begin('tcp: 1 GB content-length claim', broker, bystander);
    raw.socket.write('CONNECT\naccept-version:1.2\nhost:x\n\n\0SEND\ndestination:/topic/x\ncontent-length:1000000000\n\n');
    for (let i = 0; i < 16; i++) raw.socket.write(Buffer.alloc(64 * 1024, 65));
    const closed = await within(raw.closed, 5000);
    const figures = await m.end();
    log(figures, `closed ${closed === 'timeout' ? 'never' : `after ${closed} ms`}`);
    expectWithin(figures, { rssPeakGrowthMB: 32 });
    expect(raw.received()).toContain('code:STOMP_ERR_FRAME_TOO_LARGE');
    expect(closed).not.toBe('timeout');
  }, 30000);

  it('slowloris before CONNECT (a byte every 200 ms) is dropped at connectTimeout', async () => {
    const { broker, bystander } = get();
    const raw = await open(broker.tcpPort!);
    const m = await Measurement.begin('tcp: slowloris before CONNECT', broker, bystander);
    const text = 'CONNECT\naccept-version:1.2\nhost:x\nlogin:' + 'a'.repeat(200);
    let sent = 0;
    const drip = setInterval(() => {
      if (!raw.socket.destroyed) raw.socket.write(text[sent++ % text.length]);
    }, 200);
    const closed = await within(raw.closed, 8000);
    clearInterval(drip);
    const figures = await m.end();
    log(figures, `dripped ${sent} bytes; closed ${closed === 'timeout' ? 'never' : `after ${closed} ms`}`);
    expectWithin(figures);
    expect(closed).not.toBe('timeout');
    expect(closed as number).toBeLessThan(4000); // connectTimeout 2000 ms, plus the close grace
  }, 30000);

  it('1,000 idle TCP connections: past maxConnections (500) refused, the rest dropped at connectTimeout', async () => {
    const { broker, bystander } = get();
    const m = await Measurement.begin('tcp: 1,000 idle connections before CONNECT', broker, bystander);
    const sockets: Raw[] = [];
    for (let i = 0; i < 1000; i++) sockets.push(await open(broker.tcpPort!).catch(() => undefined as unknown as Raw));
    const opened = sockets.filter((s) => s !== undefined);
    const results = await Promise.all(opened.map((s) => within(s.closed, 8000)));
    const figures = await m.end();
    const never = results.filter((r) => r === 'timeout').length;
    const refused = opened.filter((s) => s.received().includes('code:STOMP_ERR_TOO_MANY_CONNECTIONS')).length;
    log(figures, `${opened.length} opened, ${refused} refused with STOMP_ERR_TOO_MANY_CONNECTIONS, ${never} never closed`);
    expectWithin(figures, { rssPeakGrowthMB: 64 });
    expect(never).toBe(0);
    expect(refused).toBeGreaterThanOrEqual(450); // 500 slots, one of them the bystander's
  }, 60000);

  it('a half-closed socket (FIN after a partial frame) is closed, and a half-closed idle one too', async () => {
    const { broker, bystander } = get();
    const m = await Measurement.begin('tcp: half-closed sockets', broker, bystander);
    const a = await open(broker.tcpPort!);
    a.socket.end('CONNECT\naccept-version:1.2\nhost:x\n\n\0SEND\ndestination:/topic/x\n\nhalf');
    const b = await open(broker.tcpPort!);
    b.socket.end();
    const closed = await Promise.all([within(a.closed, 5000), within(b.closed, 5000)]);
    const figures = await m.end();
    log(figures, `closed after ${closed.join(', ')} ms`);
    expectWithin(figures);
    expect(closed).not.toContain('timeout');
  }, 30000);
});
