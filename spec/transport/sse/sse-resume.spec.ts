import type { StompServerConfig } from '../../../broker';
import { closeServers, startServer, type Running } from '../../helpers/server';
import { closeStreams, openSse, type SseReader } from '../../helpers/sse';

const RETAIN: StompServerConfig = {
  brokerPrefixes: ['/topic', '/user'],
  sse: true,
  retention: [{ destinations: '/topic/**', messages: 100, maxAge: 60_000 }, { destinations: '/user/**', messages: 100, maxAge: 60_000 }],
} as StompServerConfig;

const start = (extra: StompServerConfig = {}): Promise<Running> => startServer({ ...RETAIN, ...extra });
const publish = (s: Running, destination: string, body: string): Promise<unknown> => s.server.template.convertAndSend(destination, body);
const datas = (r: SseReader): string[] => r.events.map((e) => e.data);

afterEach(async () => {
  closeStreams();
  await closeServers();
});

describe('SSE resume with retention', () => {
  it('resumes every destination of the stream from Last-Event-ID: what was missed, once, in order, then live', async () => {
    const s = await start();
    const first = await openSse(s.http('/sse?destination=/topic/a&destination=/topic/b'));
    await publish(s, '/topic/a', 'a1');
    await publish(s, '/topic/b', 'b1');
    await publish(s, '/topic/a', 'a2');
    const seen = await first.nextEvents(3);
    first.close();
    // Missed while away, on both destinations.
    await publish(s, '/topic/b', 'b2');
    await publish(s, '/topic/a', 'a3');
    const again = await openSse(s.http('/sse?destination=/topic/a&destination=/topic/b'), { 'last-event-id': seen[2].lastEventId });
    await again.nextEvents(2);
    await publish(s, '/topic/a', 'live');
    await again.until('the live message', () => datas(again).includes('live'));
    expect(datas(again).filter((d) => d.startsWith('a'))).toEqual(['a3']);
    expect(datas(again).filter((d) => d.startsWith('b'))).toEqual(['b2']);
    expect(datas(again).at(-1)).toBe('live');
    expect(again.comments.filter((c) => c.includes('Last-Event-ID') || c.includes('resumed'))).toEqual([]);
  });

  it('resumes from the lastEventId query parameter too', async () => {
    const s = await start();
    const first = await openSse(s.http('/sse?destination=/topic/q'));
    await publish(s, '/topic/q', 'one');
    const [seen] = await first.nextEvents(1);
    first.close();
    await publish(s, '/topic/q', 'two');
    const again = await openSse(s.http(`/sse?destination=/topic/q&lastEventId=${encodeURIComponent(seen.lastEventId)}`));
    expect((await again.nextEvents(1)).map((e) => e.data)).toEqual(['two']);
  });

  it('says in a comment when a destination cannot be recovered in full (another epoch), and starts at the oldest kept', async () => {
    const s = await start();
    const first = await openSse(s.http('/sse?destination=/topic/e'));
    await publish(s, '/topic/e', 'kept');
    const [seen] = await first.nextEvents(1);
    first.close();
    // The same id against another server: its history has another epoch.
    const other = await start();
    await publish(other, '/topic/e', 'other history');
    const again = await openSse(other.http('/sse?destination=/topic/e'), { 'last-event-id': seen.lastEventId });
    await again.nextEvents(1);
    expect(again.comments.some((c) => c.includes('"/topic/e"') && c.includes('could not be resumed'))).toBe(true);
    expect(datas(again)).toEqual(['other history']);
  });

  it('gives no position to a pattern subscription, whose reconnect stays live', async () => {
    const s = await start();
    const first = await openSse(s.http(`/sse?destination=${encodeURIComponent('/topic/p/*')}`));
    await publish(s, '/topic/p/x', 'x1');
    const [seen] = await first.nextEvents(1);
    first.close();
    const again = await openSse(s.http(`/sse?destination=${encodeURIComponent('/topic/p/*')}`), { 'last-event-id': seen.lastEventId });
    expect(again.status).toBe(200);
    await publish(s, '/topic/p/y', 'live');
    expect((await again.nextEvents(1)).map((e) => e.data)).toEqual(['live']);
  });
});
