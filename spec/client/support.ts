/**
 * Helpers of the client specs: clients opened here are closed by `closeTestClients()`, and
 * waits resolve on events (never on sleeps) with a timeout that names what was awaited.
 */
import { StompboxClient, type ClientEvents, type ClientOptions } from '../../client';

const open = new Set<StompboxClient>();

/** A client that `closeTestClients()` will close; short timeouts keep failing tests quick. */
export function testClient(options: ClientOptions): StompboxClient {
  const client = new StompboxClient({ connectTimeout: 5000, timeout: 5000, ...options });
  open.add(client);
  return client;
}

/** Closes every client made by `testClient()`. */
export async function closeTestClients(): Promise<void> {
  const all = [...open];
  open.clear();
  await Promise.all(all.map((c) => c.close()));
}

/** Resolves with the first `event` that satisfies `match`. */
export function nextEvent<K extends keyof ClientEvents>(
  client: StompboxClient,
  event: K,
  match: (value: ClientEvents[K]) => boolean = () => true,
  ms = 10000,
): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`Timed out after ${ms} ms waiting for "${String(event)}"`));
    }, ms);
    timer.unref();
    const off = client.on(event, (value) => {
      if (!match(value)) return;
      clearTimeout(timer);
      off();
      resolve(value);
    });
  });
}

/** Collects what a subscription receives; `wait(n)` resolves once n items arrived. */
export class Inbox<T> {
  readonly items: T[] = [];
  private readonly listeners = new Set<() => void>();

  readonly push = (item: T): void => {
    this.items.push(item);
    for (const l of [...this.listeners]) l();
  };

  wait(count: number, ms = 10000): Promise<T[]> {
    if (this.items.length >= count) return Promise.resolve(this.items);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`Timed out after ${ms} ms waiting for ${count} messages (got ${this.items.length})`));
      }, ms);
      timer.unref();
      const check = (): void => {
        if (this.items.length < count) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(this.items);
      };
      this.listeners.add(check);
    });
  }
}
