/**
 * The authenticated chat example (examples/chat) driven by real @stomp/stompjs clients over
 * plain WebSocket and SockJS: token authentication, rooms as destination variables,
 * @SendToUser replies, per-user queues, schema-validated messages.
 */
import { createChatApp } from '../../examples/chat/app';
import type { StompServer } from '../../broker';
import { closeClients, stompClient, type Inbox, type StompClient, type Transport } from '../helpers/clients';
import { closeServers } from '../helpers/server';

let server: StompServer;
let base: string;

beforeEach(async () => {
  // A short SockJS disconnect delay: polling sessions end soon after their client goes.
  server = createChatApp({ users: { ann: 'a-1', bob: 'b-2', cy: 'c-3' }, sockjs: { disconnectDelay: 500 } });
  const { port } = await server.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${port}/chat`;
});

afterEach(async () => {
  await closeClients();
  await server.close();
  await closeServers();
});

const json = (inbox: Inbox, i: number): any => JSON.parse(inbox.messages[i].body);

async function join(c: StompClient, room: string): Promise<Inbox> {
  const joined = await c.subscribe('/user/queue/joined');
  c.client.publish({ destination: `/app/chat/${room}/join`, body: '{}' });
  await joined.wait(1);
  return joined;
}

describe.each<Transport>(['websocket', 'xhr-streaming'])('chat over %s', (transport) => {
  it('broadcasts a room message to the members subscribed to that room only', async () => {
    const ann = await stompClient(base, transport, { login: 'ann', passcode: 'a-1' });
    const bob = await stompClient(`${base}?token=b-2`, transport);
    const cy = await stompClient(base, transport, { login: 'cy', passcode: 'c-3' });
    const annRoom = await ann.subscribe('/topic/chat/lobby');
    const bobRoom = await bob.subscribe('/topic/chat/lobby');
    const cyRoom = await cy.subscribe('/topic/chat/kitchen');
    const joined = await join(ann, 'lobby');
    expect(json(joined, 0)).toEqual({ room: 'lobby', members: ['ann'] });
    ann.client.publish({ destination: '/app/chat/lobby/send', body: JSON.stringify({ text: ' hello ' }), headers: { 'content-type': 'application/json' } });
    await Promise.all([annRoom.wait(1), bobRoom.wait(1)]);
    expect(json(bobRoom, 0)).toMatchObject({ room: 'lobby', from: 'ann', text: 'hello' });
    // cy's room got nothing: a later kitchen message is the first it sees.
    await join(cy, 'kitchen');
    cy.client.publish({ destination: '/app/chat/kitchen/send', body: JSON.stringify({ text: 'soup' }) });
    await cyRoom.wait(1);
    expect(cyRoom.messages.map((m) => JSON.parse(m.body).text)).toEqual(['soup']);
  });

  it('delivers direct messages to every session of the addressee and confirms to the sender', async () => {
    const ann = await stompClient(base, transport, { login: 'ann', passcode: 'a-1' });
    const bob1 = await stompClient(base, transport, { login: 'bob', passcode: 'b-2' });
    const bob2 = await stompClient(base, 'websocket', { login: 'bob', passcode: 'b-2' });
    const cy = await stompClient(base, transport, { login: 'cy', passcode: 'c-3' });
    const inboxes = await Promise.all([bob1, bob2, cy].map((c) => c.subscribe('/user/queue/direct')));
    const sent = await ann.subscribe('/user/queue/sent');
    ann.client.publish({ destination: '/app/chat/direct/bob/send', body: JSON.stringify({ text: 'psst' }) });
    await Promise.all([inboxes[0].wait(1), inboxes[1].wait(1), sent.wait(1)]);
    expect(json(inboxes[0], 0)).toMatchObject({ from: 'ann', text: 'psst' });
    expect(json(sent, 0)).toEqual({ to: 'bob', text: 'psst' });
    expect(inboxes[2].messages).toEqual([]);
  });
});

describe('chat', () => {
  it('replays recent lines to a new subscriber of the room history only', async () => {
    const ann = await stompClient(base, 'websocket', { login: 'ann', passcode: 'a-1' });
    await join(ann, 'lobby');
    const room = await ann.subscribe('/topic/chat/lobby');
    for (const text of ['one', 'two']) ann.client.publish({ destination: '/app/chat/lobby/send', body: JSON.stringify({ text }) });
    await room.wait(2);
    const bob = await stompClient(base, 'websocket', { login: 'bob', passcode: 'b-2' });
    const history = await bob.subscribe('/app/chat/lobby/history');
    await history.wait(1);
    expect(json(history, 0).map((m: { text: string }) => m.text)).toEqual(['one', 'two']);
  });

  it('answers an invalid message on /user/queue/errors with the schema issues and keeps the session', async () => {
    const ann = await stompClient(base, 'websocket', { login: 'ann', passcode: 'a-1' });
    const errors = await ann.subscribe('/user/queue/errors');
    await join(ann, 'lobby');
    ann.client.publish({ destination: '/app/chat/lobby/send', body: JSON.stringify({ text: '   ' }), headers: { 'correlation-id': 'm-1' } });
    await errors.wait(1);
    expect(errors.messages[0].headers['correlation-id']).toBe('m-1');
    expect(json(errors, 0)).toMatchObject({ code: 'STOMP_ERR_INVALID_PAYLOAD', destination: '/app/chat/lobby/send', issues: [expect.objectContaining({ path: ['text'] })] });
    ann.client.publish({ destination: '/app/chat/kitchen/send', body: JSON.stringify({ text: 'hi' }) });
    await errors.wait(2);
    expect(json(errors, 1)).toEqual({ code: 'not-in-room', room: 'kitchen', message: 'Join room "kitchen" before writing to it' });
    expect(ann.client.connected).toBe(true);
  });

  it('refuses a wrong token with ERROR STOMP_ERR_UNAUTHORIZED', async () => {
    await expect(stompClient(base, 'xhr-polling', { login: 'ann', passcode: 'nope' })).rejects.toThrow(/^ERROR .*Authentication failed/);
    await expect(stompClient(`${base}?token=forged`, 'websocket')).rejects.toThrow(/^ERROR .*Authentication failed/);
  });

  it('forbids clients to write to the broker directly', async () => {
    const ann = await stompClient(base, 'websocket', { login: 'ann', passcode: 'a-1' });
    const error = new Promise<string>((resolve) => (ann.client.onStompError = (f) => resolve(f.headers.code)));
    ann.client.publish({ destination: '/topic/chat/lobby', body: 'spoofed' });
    expect(await error).toBe('STOMP_ERR_FORBIDDEN');
  });
});
