/**
 * The measuring harness of the attack and fuzz specs, checked against a broker whose
 * behaviour we control: a child that is killed, one that fails at startup, one whose event
 * loop is blocked on request. If these pass, a failing attack spec means the broker, not the
 * harness.
 */
import { Bystander } from './bystander';
import { killChildBrokers, removeChildBrokerBundle, startChildBroker } from './child-broker';
import { closeClients, RawClient } from './clients';
import { expectWithin, Measurement } from '../security/measure';

const bystanders: Bystander[] = [];

afterEach(async () => {
  await Promise.all(bystanders.splice(0).map((b) => b.stop(1000)));
  await closeClients();
  await killChildBrokers();
});

afterAll(() => removeChildBrokerBundle());

describe('child broker', () => {
  it('starts a broker in its own process and reports its port, RSS and CPU time', async () => {
    const broker = await startChildBroker();
    expect(broker.pid).not.toBe(process.pid);
    const client = await RawClient.connected(broker.ws('/stomp'));
    expect(client.frames[0].command).toBe('CONNECTED');
    expect(broker.rss()).toBeGreaterThan(10 * 1024 * 1024);
    expect(broker.cpuMs()).toBeGreaterThan(0);
    const memory = await broker.memory(true);
    expect(memory.heapUsed).toBeGreaterThan(0);
    expect(memory.rss).toBeGreaterThan(memory.heapUsed);
  });

  it('records the signal of a process killed by PID', async () => {
    const broker = await startChildBroker();
    process.kill(broker.pid, 'SIGKILL');
    expect(await broker.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(broker.alive).toBe(false);
    expect(broker.rss()).toBe(0);
    expect(broker.describeExit()).toContain('killed by SIGKILL');
  });

  it('records the exit code and stderr of a process that fails', async () => {
    await expect(startChildBroker({ options: { maxFrameSize: -1 } })).rejects.toThrow(/exit code 1.*maxFrameSize/s);
  });

  it('starts the reference app with its endpoints', async () => {
    const broker = await startChildBroker({ app: 'reference' });
    const client = await RawClient.connected(broker.ws('/webServer'));
    expect(client.frames[0].command).toBe('CONNECTED');
  });

  it("measures the child's event-loop delay", async () => {
    const broker = await startChildBroker();
    await broker.loopDelay();
    await broker.block(300);
    expect(await broker.loopDelay()).toBeGreaterThanOrEqual(250);
  });
});

describe('bystander', () => {
  it('receives its own messages in order with a short round trip', async () => {
    const broker = await startChildBroker();
    const bystander = await Bystander.start(broker.http('/stomp'), { interval: 10 });
    bystanders.push(bystander);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const report = await bystander.stop();
    expect(report.sent).toBeGreaterThan(10);
    expect(report.received).toBe(report.sent);
    expect(report.inOrder).toBe(true);
    expect(report.maxRttMs).toBeLessThan(1000);
  });

  it('works over SockJS too', async () => {
    const broker = await startChildBroker();
    const bystander = await Bystander.start(broker.http('/stomp'), { transport: 'xhr-streaming', interval: 10 });
    bystanders.push(bystander);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const report = await bystander.stop();
    expect(report.received).toBe(report.sent);
    expect(report.inOrder).toBe(true);
  });

  it('reads a blocked broker as a long round trip, and the measurement fails on it', async () => {
    const broker = await startChildBroker();
    const bystander = await Bystander.start(broker.http('/stomp'), { interval: 10 });
    bystanders.push(bystander);
    const m = await Measurement.begin('self-test block 800 ms', broker, bystander);
    await broker.block(800);
    const figures = await m.end();
    expect(figures.bystander!.maxRttMs).toBeGreaterThanOrEqual(700);
    expect(figures.loopDelayMs).toBeGreaterThanOrEqual(700);
    expect(() => expectWithin(figures, { maxRttMs: 500 })).toThrow(/round trip reached \d+ ms \(bound 500 ms\)/);
    expect(() => expectWithin(figures, { maxRttMs: 5000 })).toThrow(/event-loop delay was \d+ ms \(bound 400 ms\)/);
  });

  it('reads a dead broker as a lost session, and the measurement fails on it', async () => {
    const broker = await startChildBroker();
    const bystander = await Bystander.start(broker.http('/stomp'), { interval: 10 });
    bystanders.push(bystander);
    const m = await Measurement.begin('self-test kill', broker, bystander);
    process.kill(broker.pid, 'SIGKILL');
    await broker.exited;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const figures = await m.end();
    expect(figures.process).toContain('SIGKILL');
    expect(figures.bystander!.alive).toBe(false);
    expect(() => expectWithin(figures)).toThrow(/broker process ended.*bystander lost its session/s);
  });
});
