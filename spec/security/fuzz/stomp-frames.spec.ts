/**
 * Fuzz (a): random and mutated STOMP frames over plain WebSocket (text and binary messages),
 * over the SockJS websocket transport and over STOMP on TCP (every message's bytes in one stream), against a child-process broker with a bystander.
 * See stomp-cases.ts for what a case holds and runner.ts for the invariants.
 */
import { Bystander } from '../../helpers/bystander';
import { killChildBrokers, removeChildBrokerBundle, startChildBroker, type ChildBroker } from '../../helpers/child-broker';
import { closeClients } from '../../helpers/clients';
import { sockJsStompTarget, tcpTarget, webSocketTarget, type FuzzTarget } from './fuzz-target';
import { settleAndCheck } from './oracle';
import { fuzzSettings, runFuzz } from './runner';
import { messagesOf, stompCase, type StompCase } from './stomp-cases';

const settings = fuzzSettings({ runs: 3000, seconds: 10 });

let broker: ChildBroker;
let bystander: Bystander;

beforeEach(async () => {
  broker = await startChildBroker({ handlers: true, options: { tcp: { port: 0, host: '127.0.0.1' } } });
  bystander = await Bystander.start(broker.http('/stomp'));
});

afterEach(async () => {
  await killChildBrokers();
  await bystander?.stop(100);
  await closeClients();
});

afterAll(() => removeChildBrokerBundle());

async function sendCase(target: FuzzTarget, c: StompCase): Promise<string> {
  const conn = await target.open();
  for (const m of messagesOf(c)) conn.send(m.data, m.binary);
  return settleAndCheck(conn);
}

describe('fuzzing STOMP frames', () => {
  it.each([
    ['plain WebSocket', (b: ChildBroker) => webSocketTarget(b.ws('/stomp'))],
    ['the SockJS websocket transport', (b: ChildBroker) => sockJsStompTarget(b.ws('/stomp'))],
    ['STOMP over TCP', (b: ChildBroker) => tcpTarget(b.tcpPort!)],
  ])(
    `over %s leaves the broker running, a bystander served in order and every connection open or closed (seeded, ${settings.runs} cases or ${settings.seconds} s)`,
    async (_name, makeTarget) => {
      const target = makeTarget(broker);
      const report = await runFuzz({ target: `STOMP frames over ${target.name}`, broker, bystander, arbitrary: stompCase, settings, runCase: (c) => sendCase(target, c) });
      expect(report.cases).toBeGreaterThan(0);
    },
    (settings.seconds + 40) * 1000,
  );
});
