/**
 * Fuzz (b): random SockJS message JSON (any JSON type, nesting, sizes, unicode with lone
 * surrogates, arrays of STOMP strings, arrays of numbers, claimed lengths, text that is not
 * JSON) over the SockJS websocket transport and posted to xhr_send, against a child-process
 * broker with a bystander. See sockjs-cases.ts for the cases and runner.ts for the invariants.
 * The broker's SockJS heart-beat is 100 ms here, so an xhr poll never legitimately waits long.
 */
import { Bystander } from '../../helpers/bystander';
import { killChildBrokers, removeChildBrokerBundle, startChildBroker, type ChildBroker } from '../../helpers/child-broker';
import { closeClients, header } from '../../helpers/clients';
import { CONNECT, XhrSession } from '../../helpers/sockjs-raw';
import { sockJsRawTarget } from './fuzz-target';
import { settleAndCheck } from './oracle';
import { fuzzSettings, runFuzz } from './runner';
import { sockJsCase, type SockJsCase } from './sockjs-cases';

const settings = fuzzSettings({ runs: 2000, seconds: 10 });
const STACK = /\n\s+at .+[(:]\d+/; // a V8 stack frame line
const ANSWER_MS = 5000;

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

async function overWebSocket(c: SockJsCase): Promise<string> {
  const conn = await sockJsRawTarget(broker.ws('/stomp')).open();
  if (c.connect) conn.send(Buffer.from(JSON.stringify([CONNECT])), false);
  for (const m of c.messages) conn.send(Buffer.from(m, 'utf8'), false);
  return settleAndCheck(conn);
}

async function overXhr(c: SockJsCase): Promise<string> {
  const session = await XhrSession.open(broker.port);
  if (c.connect) await session.sendFrames(CONNECT);
  const statuses: number[] = [];
  for (const m of c.messages) {
    const reply = await session.send(m);
    if (reply.status === 0) throw new Error(`xhr_send got no answer: ${reply.error}`);
    if (reply.ms > ANSWER_MS) throw new Error(`xhr_send took ${reply.ms} ms`);
    if (STACK.test(reply.body)) throw new Error(`xhr_send answered with a stack trace: ${reply.body.slice(0, 300)}`);
    statuses.push(reply.status);
  }
  const poll = await session.poll(ANSWER_MS);
  if (poll.status === 0) throw new Error(`the xhr poll after the case got no answer within ${ANSWER_MS} ms: ${poll.error}`);
  for (const f of session.stomp) {
    if (f.command === 'ERROR' && header(f, 'code') === 'STOMP_ERR_INTERNAL') throw new Error('the broker answered STOMP_ERR_INTERNAL: an exception nobody anticipated (see its log)');
  }
  const error = session.stomp.find((f) => f.command === 'ERROR');
  return `xhr_send ${[...new Set(statuses)].sort().join('/')}${error === undefined ? '' : `, ERROR ${header(error, 'code')}`}`;
}

describe('fuzzing SockJS messages', () => {
  it(
    `over the websocket transport and xhr_send leaves the broker running, a bystander served in order and every session answered (seeded, ${settings.runs} cases or ${settings.seconds} s)`,
    async () => {
      const report = await runFuzz({
        target: 'SockJS messages over websocket and xhr_send',
        broker,
        bystander,
        arbitrary: sockJsCase,
        settings,
        runCase: (c) => (c.transport === 'websocket' ? overWebSocket(c) : overXhr(c)),
      });
      expect(report.cases).toBeGreaterThan(0);
    },
    (settings.seconds + 40) * 1000,
  );
});
