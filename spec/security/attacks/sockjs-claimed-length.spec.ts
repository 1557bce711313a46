/**
 * Finding 2 of the security issue: `[{"length":20000000}]` (25 bytes) posted to xhr_send
 * blocked the event loop for about a second while a 20 MB buffer was built element by
 * element; `[{"length":1e9}]` took about a minute and 1 GB.
 *
 * The contract: SockJS messages are arrays of strings, and anything else is refused before
 * any allocation proportional to a length the client claims. So the answer comes at once
 * (an HTTP error on xhr_send and jsonp_send, an ERROR and a close on the websocket), the
 * process grows by nothing to speak of, and a bystander never waits.
 */
import { header } from '../../helpers/clients';
import { RawSockJsSocket, XhrSession } from '../../helpers/sockjs-raw';
import { expectWithin, log, Measurement } from '../measure';
import { arena, outcome } from './arena';

const CLAIMS = ['[{"length":20000000}]', '[{"length":1e9}]'];
/** What refusing 25 bytes may cost at most. */
const BOUNDS = { rssPeakGrowthMB: 16, cpuMs: 300 };
/** How long the answer may take, ms: "at once", with room for a busy machine. */
const ANSWER_MS = 1000;

const get = arena();

describe('a SockJS message claiming a length', () => {
  it.each(CLAIMS)('posted to xhr_send, %s is answered at once with an HTTP error and costs no memory', async (payload) => {
    const { broker, bystander } = get();
    const session = await XhrSession.open(broker.port);
    const m = await Measurement.begin(`F2 xhr_send ${payload}`, broker, bystander);
    const reply = await session.send(payload);
    const figures = await m.end();
    log(figures, `xhr_send answered ${reply.status} in ${reply.ms} ms`);
    expectWithin(figures, BOUNDS);
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.ms).toBeLessThan(ANSWER_MS);
  }, 40000);

  it.each(CLAIMS)('posted to jsonp_send, %s is answered at once with an HTTP error and costs no memory', async (payload) => {
    const { broker, bystander } = get();
    const session = await XhrSession.open(broker.port);
    const m = await Measurement.begin(`F2 jsonp_send ${payload}`, broker, bystander);
    const reply = await session.sendJsonp(payload);
    const figures = await m.end();
    log(figures, `jsonp_send answered ${reply.status} in ${reply.ms} ms`);
    expectWithin(figures, BOUNDS);
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.ms).toBeLessThan(ANSWER_MS);
  }, 40000);

  it.each(CLAIMS)('over the SockJS websocket, %s gets an ERROR and a close at once and costs no memory', async (payload) => {
    const { broker, bystander } = get();
    const socket = await RawSockJsSocket.open(broker.ws('/stomp'));
    const m = await Measurement.begin(`F2 sockjs-websocket ${payload}`, broker, bystander);
    const started = Date.now();
    await socket.send(payload);
    const error = await outcome(socket.nextStomp('ERROR', 5000));
    const answeredMs = Date.now() - started;
    const figures = await m.end();
    log(figures, `attacked session: ${error instanceof Error ? error.message : `ERROR ${header(error, 'code')} after ${answeredMs} ms`}`);
    expectWithin(figures, BOUNDS);
    if (error instanceof Error) throw error;
    expect(answeredMs).toBeLessThan(ANSWER_MS);
    await socket.ended(3000);
  }, 40000);
});
