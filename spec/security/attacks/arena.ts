/**
 * The setting of every attack spec: a fresh child-process broker per test and a bystander
 * session publishing to itself next to the attack, both ended in afterEach (the process by
 * PID). `arena()` installs the hooks and returns a getter for the current test's pair.
 */
import { Bystander } from '../../helpers/bystander';
import { killChildBrokers, removeChildBrokerBundle, startChildBroker, type ChildBroker, type ChildBrokerConfig } from '../../helpers/child-broker';
import { closeClients } from '../../helpers/clients';

export interface Arena {
  readonly broker: ChildBroker;
  readonly bystander: Bystander;
}

/** Installs beforeEach/afterEach hooks: a child broker started with `config` and a bystander on `endpoint`. */
export function arena(config: ChildBrokerConfig = {}, endpoint = '/stomp'): () => Arena {
  let current: Arena | undefined;
  beforeEach(async () => {
    const broker = await startChildBroker(config);
    const bystander = await Bystander.start(broker.http(endpoint));
    current = { broker, bystander };
  });
  afterEach(async () => {
    // The broker first: a stalled one would hold the clients' close handshakes.
    await killChildBrokers();
    await current?.bystander.stop(100);
    current = undefined;
    await closeClients();
  });
  afterAll(() => removeChildBrokerBundle());
  return () => {
    if (current === undefined) throw new Error('arena() is only available inside a test');
    return current;
  };
}

/** Resolves with `promise`'s value, or with the error it rejected with: an outcome to assert after the figures. */
export function outcome<T>(promise: Promise<T>): Promise<T | Error> {
  return promise.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
}

/** Waits `ms`. For letting a broker act on bytes already sent, never as a substitute for an event. */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
