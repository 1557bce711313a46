/** The reference app (shared/SPEC.md §1) driven by real @stomp/stompjs clients. */
import { closeClients, stompClient, type Inbox, type StompClient } from '../helpers/clients';
import { closeServers, startReferenceApp, type Running } from '../helpers/server';

let running: Running;

beforeEach(async () => {
  running = await startReferenceApp({ interval: 10 });
});

afterEach(async () => {
  await closeClients();
  await closeServers();
});

const bodies = (inbox: Inbox): string[] => inbox.messages.map((m) => m.body);

describe('/subscribe through /webServer', () => {
  it('delivers all 20 messages to each of 3 subscribers of /topic/getResponse', async () => {
    const tabs: StompClient[] = [
      await stompClient(running.http('/webServer'), 'sockjs-websocket'),
      await stompClient(running.http('/webServer'), 'websocket'),
      await stompClient(running.http('/webServer'), 'sockjs-websocket'),
    ];
    const inboxes = await Promise.all(tabs.map((t) => t.subscribe('/topic/getResponse')));
    const before = Date.now();
    tabs[0].client.publish({ destination: '/subscribe', body: JSON.stringify({ name: 'tom' }) });
    await Promise.all(inboxes.map((inbox) => inbox.wait(20)));
    // A second request: its 20 messages take ≥ 190 ms, time enough for a 21st "tom" to show up.
    tabs[1].client.publish({ destination: '/subscribe', body: JSON.stringify({ name: 'ann' }) });
    await Promise.all(inboxes.map((inbox) => inbox.wait(40)));
    for (const inbox of inboxes) {
      const toms = bodies(inbox).filter((b) => b.startsWith('tom-'));
      expect(toms).toHaveLength(20);
      const stamps = toms.map((b) => Number(/^tom-(\d+)$/.exec(b)![1]));
      expect(stamps.every((s) => s >= before && s <= Date.now())).toBe(true);
      expect([...stamps].sort((x, y) => x - y)).toEqual(stamps);
      expect(bodies(inbox)).toEqual(bodies(inboxes[0]));
    }
  });

  it('sends text bodies with their content type to /topic/getResponse', async () => {
    const tab = await stompClient(running.http('/webServer'), 'websocket');
    const inbox = await tab.subscribe('/topic/getResponse');
    tab.client.publish({ destination: '/subscribe', body: '{"name":"zoe"}', headers: { 'content-type': 'application/json' } });
    const [m] = await inbox.wait(1);
    expect(m.body).toMatch(/^zoe-\d{13}$/);
    expect(m.headers.destination).toBe('/topic/getResponse');
    expect(m.headers['content-type']).toBe('text/plain;charset=UTF-8');
  });
});

describe('/queue through /queueServer', () => {
  it('reaches /user/zhangsan/message and never /user/lisi/message', async () => {
    const zhangsan = await stompClient(running.http('/queueServer'), 'sockjs-websocket');
    const lisi = await stompClient(running.http('/queueServer'), 'websocket');
    const toZhangsan = await zhangsan.subscribe('/user/zhangsan/message');
    const toLisi = await lisi.subscribe('/user/lisi/message');
    zhangsan.client.publish({ destination: '/queue', body: JSON.stringify({ name: 'jack' }) });
    await toZhangsan.wait(20);
    expect(bodies(toZhangsan)).toEqual(Array(20).fill('jack'));
    // Everything for lisi so far would have arrived before this marker.
    lisi.client.publish({ destination: '/user/lisi/message', body: 'marker' });
    await toLisi.wait(1);
    expect(bodies(toLisi)).toEqual(['marker']);
  });
});

describe('the app\'s defaults', () => {
  it('push one message per second', async () => {
    await closeServers();
    running = await startReferenceApp();
    const tab = await stompClient(running.http('/webServer'), 'websocket');
    const inbox = await tab.subscribe('/topic/getResponse');
    tab.client.publish({ destination: '/subscribe', body: '{"name":"slow"}' });
    const [first, second] = await inbox.wait(2, 3000);
    const gap = Number(second.body.split('-')[1]) - Number(first.body.split('-')[1]);
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(gap).toBeLessThan(1500);
  });
});

describe('literal user destinations with a logged-in session', () => {
  it('reach zhangsan\'s own subscription once, and never lisi subscribed to zhangsan\'s destination', async () => {
    const zhangsan = await stompClient(running.http('/queueServer'), 'websocket', { login: 'zhangsan' });
    const lisi = await stompClient(running.http('/queueServer'), 'websocket', { login: 'lisi' });
    const own = await zhangsan.subscribe('/user/zhangsan/message');
    const snooping = await lisi.subscribe('/user/zhangsan/message');
    const lisiOwn = await lisi.subscribe('/user/lisi/message');
    zhangsan.client.publish({ destination: '/queue', body: '{"name":"note"}' });
    await own.wait(20);
    await running.server.template.convertAndSendToUser('lisi', '/message', 'marker');
    await lisiOwn.wait(1);
    expect(own.messages).toHaveLength(20);
    expect(new Set(own.messages.map((m) => m.headers['message-id'])).size).toBe(20); // 20 messages, none twice
    expect(snooping.messages).toEqual([]);
    expect(bodies(lisiOwn)).toEqual(['marker']);
  });
});

describe('principal-based user destinations', () => {
  it('deliver convertAndSendToUser to the sessions of that principal only', async () => {
    const alice = await stompClient(running.http('/webServer'), 'websocket', { login: 'alice' });
    const alice2 = await stompClient(running.http('/webServer'), 'sockjs-websocket', { login: 'alice' });
    const bob = await stompClient(running.http('/webServer'), 'websocket', { login: 'bob' });
    expect(alice.connected.headers['user-name']).toBe('alice');
    const inboxes = await Promise.all([alice, alice2, bob].map((c) => c.subscribe('/user/queue/x')));
    await running.server.template.convertAndSendToUser('alice', '/queue/x', 'for alice');
    await running.server.template.convertAndSendToUser('bob', '/queue/x', 'for bob');
    await Promise.all(inboxes.map((inbox) => inbox.wait(1)));
    expect(bodies(inboxes[0])).toEqual(['for alice']);
    expect(bodies(inboxes[1])).toEqual(['for alice']);
    expect(bodies(inboxes[2])).toEqual(['for bob']);
    expect(inboxes[0].messages[0].headers.destination).toBe('/user/queue/x');
  });

  it('do not reach an anonymous subscriber of the same destination', async () => {
    const alice = await stompClient(running.http('/webServer'), 'websocket', { login: 'alice' });
    const anonymous = await stompClient(running.http('/webServer'), 'websocket');
    const mine = await alice.subscribe('/user/queue/x');
    const theirs = await anonymous.subscribe('/user/queue/x');
    await running.server.template.convertAndSendToUser('alice', '/queue/x', 'private');
    await mine.wait(1);
    anonymous.client.publish({ destination: '/user/queue/x', body: 'marker' });
    await theirs.wait(1);
    expect(bodies(theirs)).toEqual(['marker']);
  });
});
