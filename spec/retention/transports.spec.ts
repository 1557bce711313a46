import { closeClients, stompClient, type Transport } from '../helpers/clients';
import { closeServers, startReferenceApp } from '../helpers/server';

// Replay and live delivery of a retained destination reach @stomp/stompjs over plain WebSocket
// and every SockJS transport sockjs-client runs in Node, with the RECEIPT after the replay.

afterEach(async () => {
  await closeClients();
  await closeServers();
});

const TRANSPORTS: Transport[] = ['websocket', 'sockjs-websocket', 'xhr-streaming', 'xhr-polling', 'eventsource'];

describe.each(TRANSPORTS)('over %s', (transport) => {
  it('replays /topic/getResponse from first before the RECEIPT, then delivers live, each offset once', async () => {
    const running = await startReferenceApp({ interval: 5 });
    for (const n of [0, 1, 2]) await running.server.template.convertAndSend('/topic/getResponse', `kept-${n}`);
    const tab = await stompClient(running.http('/webServer'), transport);
    const inbox = await tab.subscribe('/topic/getResponse', { 'x-stream-offset': 'first' });
    // The RECEIPT came after the replay was queued: the three kept messages are there already.
    expect(inbox.messages.map((m) => m.body)).toEqual(['kept-0', 'kept-1', 'kept-2']);
    await running.server.template.convertAndSend('/topic/getResponse', 'live');
    await inbox.wait(4);
    expect(inbox.messages.map((m) => m.headers['x-stream-offset'])).toEqual(['0', '1', '2', '3']);
    expect(new Set(inbox.messages.map((m) => m.headers['x-stream-epoch'])).size).toBe(1);
  });
});
