/**
 * Fuzz (c): random HTTP requests to every URL shape of a SockJS endpoint (see http-cases.ts),
 * over raw sockets, against a child-process broker with a bystander. Each request must be
 * answered (any status from 100 to 599, never with a stack trace) or its connection closed
 * within 3 s; a request that announces more body than it sends may be waited on, a streaming
 * transport or an upgrade counts as answered once its head came. See runner.ts for the
 * invariants that hold across requests. The broker's SockJS heart-beat is 100 ms here, so a
 * long poll never legitimately waits long.
 */
import { Bystander } from '../../helpers/bystander';
import { killChildBrokers, removeChildBrokerBundle, startChildBroker, type ChildBroker } from '../../helpers/child-broker';
import { closeClients } from '../../helpers/clients';
import { rawRequest } from '../../helpers/raw-http';
import { httpCase, wireOf, type HttpCase } from './http-cases';
import { fuzzSettings, runFuzz } from './runner';

const settings = fuzzSettings({ runs: 2000, seconds: 15 });
const STACK = /\n\s+at .+[(:]\d+/; // a V8 stack frame line
const ANSWER_MS = 3000;
/** Responses that stream (SockJS's chunking test streams for seconds by design). */
const STREAMING = /\/(xhr_streaming|eventsource|htmlfile|chunking_test)$/;

let broker: ChildBroker;
let bystander: Bystander;

beforeEach(async () => {
  broker = await startChildBroker({ handlers: true, options: { sockjs: { heartbeatDelay: 100 } } });
  bystander = await Bystander.start(broker.http('/stomp'));
});

afterEach(async () => {
  await killChildBrokers();
  await bystander?.stop(100);
  await closeClients();
});

afterAll(() => removeChildBrokerBundle());

/** A short name for the URL shape of a case, for the outcome counts. */
function shape(c: HttpCase): string {
  const m = /^\/stomp\/[^/]*\/[^/]*\/([^/]*)$/.exec(c.path);
  return m !== null ? m[1] || '(empty transport)' : c.path.startsWith('/stomp') ? c.path.replace(/^\/stomp/, '') || '(greeting)' : 'other';
}

async function sendRequest(c: HttpCase): Promise<string> {
  const { head, body } = wireOf(c, broker.port);
  const waitsForBody = c.length === 'long';
  const r = await rawRequest(broker.port, {
    head,
    body,
    chunkDelayMs: c.slow?.delayMs,
    stopAfterHead: STREAMING.test(c.path) || c.method === 'HEAD',
    waitMs: waitsForBody ? 500 : ANSWER_MS,
  });
  if (r.ended === 'timeout' && !waitsForBody) throw new Error(`no answer and no close within ${ANSWER_MS} ms after the request (${r.text.length} bytes received)`);
  if (r.status !== undefined && (r.status < 100 || r.status > 599)) throw new Error(`a response without a valid status line: ${JSON.stringify(r.text.slice(0, 120))}`);
  if (STACK.test(r.text)) throw new Error(`the response holds a stack trace: ${r.text.slice(0, 400)}`);
  return `${c.method} ${shape(c)} ${r.status ?? r.ended}`;
}

describe('fuzzing the SockJS HTTP URLs', () => {
  it(
    `answers every request or closes it, leaves the broker running and a bystander served in order (seeded, ${settings.runs} requests or ${settings.seconds} s)`,
    async () => {
      const report = await runFuzz({ target: 'HTTP requests to SockJS URLs', broker, bystander, arbitrary: httpCase, settings, runCase: sendRequest });
      expect(report.cases).toBeGreaterThan(0);
    },
    (settings.seconds + 40) * 1000,
  );
});
