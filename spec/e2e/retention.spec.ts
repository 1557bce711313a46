import type { IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { closeClients, RawClient } from '../helpers/clients';
import { closeServers, startServer } from '../helpers/server';

// What an open connection keeps alive decides the broker's memory per idle connection (the S5
// benchmark). The handshake request is read during the upgrade and must not outlive it.

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

afterEach(async () => {
  await closeClients();
  await closeServers();
});

async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 10 && ref.deref() !== undefined; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  return ref.deref() === undefined;
}

describe('an open plain WebSocket session', () => {
  it('keeps no reference to its upgrade request', async () => {
    const running = await startServer({ endpoints: [], websocketEndpoints: ['/ws'] });
    const requests: WeakRef<IncomingMessage>[] = [];
    running.server.httpServer!.prependListener('upgrade', (req: IncomingMessage) => requests.push(new WeakRef(req)));
    const client = await RawClient.connected(running.ws('/ws'));
    client.send('SUBSCRIBE\nid:sub-0\ndestination:/topic/retention.long.destination.name\nreceipt:r\n\n\0');
    expect((await client.next()).command).toBe('RECEIPT');
    expect(requests).toHaveLength(1);
    expect(await collected(requests[0])).toBe(true);
    // Still open and working after the request is gone.
    void running.server.template.convertAndSend('/topic/retention.long.destination.name', 'after');
    const message = await client.next();
    expect(message.command).toBe('MESSAGE');
    expect(Buffer.from(message.body).toString()).toBe('after');
  });
});
