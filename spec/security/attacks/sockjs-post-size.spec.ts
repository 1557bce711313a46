/**
 * Finding 6 of the security issue: a 24 MB POST to xhr_send of a session that does not exist
 * was read whole, with quadratic concatenation (4–7 s of CPU).
 *
 * The contract: HTTP bodies have a size limit (the same message limit as WebSocket), checked
 * as bytes arrive, and collecting a body costs time linear in it. So the broker answers with an
 * HTTP error (or closes the connection) long before 24 MB arrived, spends little CPU on it, and
 * a bystander never waits.
 */
import { rawRequest, type RawResponse } from '../../helpers/raw-http';
import { XhrSession } from '../../helpers/sockjs-raw';
import { expectWithin, log, Measurement } from '../measure';
import { arena } from './arena';

const get = arena();

const CHUNK = Buffer.alloc(64 * 1024, 'x');
const SIZE = 24 * 1024 * 1024;
const CHUNKS = SIZE / CHUNK.length;
/** CPU a refusal may cost, ms (reading 24 MB once costs well under this). */
const CPU_MS = 1000;

function post(port: number, path: string, contentType: string, chunked: boolean): Promise<RawResponse> {
  const framed = chunked ? Buffer.concat([Buffer.from(`${CHUNK.length.toString(16)}\r\n`), CHUNK, Buffer.from('\r\n')]) : CHUNK;
  const body: Buffer[] = Array(CHUNKS).fill(framed);
  if (chunked) body.push(Buffer.from('0\r\n\r\n'));
  const length = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${SIZE}`;
  return rawRequest(port, { head: `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: ${contentType}\r\n${length}`, body, waitMs: 10000 });
}

/** Refused: an error status, or the connection closed before the whole body was taken. */
function refused(r: RawResponse): boolean {
  return (r.status !== undefined && r.status >= 400) || (r.status === undefined && r.ended === 'closed' && r.written < SIZE);
}

function describeResponse(r: RawResponse): string {
  return `${r.status === undefined ? 'no status' : `status ${r.status}`} after ${r.headMs ?? r.ms} ms, ${r.ended}${r.error === undefined ? '' : ` (${r.error})`}, ${Math.round(r.written / 1024 / 1024)} of 24 MB written`;
}

describe('a 24 MB POST', () => {
  it.each([
    ['Content-Length', false],
    ['chunked', true],
  ] as const)('to xhr_send of a session that does not exist (%s) is refused without reading it whole', async (_how, chunked) => {
    const { broker, bystander } = get();
    const m = await Measurement.begin(`F6 24 MB xhr_send, no session, ${_how}`, broker, bystander);
    const response = await post(broker.port, '/stomp/000/nosuchsession/xhr_send', 'text/plain', chunked);
    const figures = await m.end();
    log(figures, describeResponse(response));
    expectWithin(figures, { cpuMs: CPU_MS, rssPeakGrowthMB: 48 });
    expect(refused(response)).toBe(true);
  }, 60000);

  it('to xhr_send of an open session is refused at the message limit', async () => {
    const { broker, bystander } = get();
    const session = await XhrSession.open(broker.port);
    const m = await Measurement.begin('F6 24 MB xhr_send, open session', broker, bystander);
    const response = await post(broker.port, `${session.path}/xhr_send`, 'text/plain', false);
    const figures = await m.end();
    log(figures, describeResponse(response));
    expectWithin(figures, { cpuMs: CPU_MS, rssPeakGrowthMB: 48 });
    expect(refused(response)).toBe(true);
  }, 60000);

  it('to jsonp_send of a session that does not exist is refused without reading it whole', async () => {
    const { broker, bystander } = get();
    const m = await Measurement.begin('F6 24 MB jsonp_send, no session', broker, bystander);
    const response = await post(broker.port, '/stomp/000/nosuchsession/jsonp_send', 'application/x-www-form-urlencoded', false);
    const figures = await m.end();
    log(figures, describeResponse(response));
    expectWithin(figures, { cpuMs: CPU_MS, rssPeakGrowthMB: 48 });
    expect(refused(response)).toBe(true);
  }, 60000);
});
