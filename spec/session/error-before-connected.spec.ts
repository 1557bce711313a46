import { createServer } from 'node:net';
import { StompBrokerRelay } from '../../broker/cluster/broker-relay';
import { StompError } from '../../broker/errors';
import { silentLogger } from '../../broker/logger';
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, startServer } from '../helpers/server';
import { tcpUrl } from '../helpers/transports';

/**
 * STOMP 1.2 §"Value Encoding": CONNECT and CONNECTED frames are not escaped. An ERROR that
 * answers a CONNECT stands where CONNECTED would: the client has no version yet to unescape
 * by, so the server writes it unescaped too (`:` as `:`, never `\c`), with EOLs made spaces.
 */

const relays: StompBrokerRelay[] = [];
afterEach(async () => {
  await closeClients();
  await closeServers();
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

/** The raw text of everything the server wrote after `connect`, once it closed the socket. */
async function answerTo(url: string, connect: string): Promise<string> {
  const client = await RawClient.open(url);
  client.send(connect);
  await client.closed;
  return Buffer.concat(client.messages.map((m) => m.data)).toString('latin1');
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('an ERROR answering CONNECT', () => {
  it('carries the authenticate refusal unescaped, EOLs made spaces', async () => {
    const running = await startServer({
      tcp: { port: 0, host: '127.0.0.1' },
      authenticate: () => {
        throw new StompError('STOMP_ERR_UNAUTHORIZED', 'Refused: token expired at 12:00\nretry: later');
      },
    });
    const text = await answerTo(tcpUrl(running), 'CONNECT\naccept-version:1.2\nlogin:a\n\n\0');
    expect(text.startsWith('ERROR\n')).toBe(true);
    expect(text).toContain('\nmessage:Refused: token expired at 12:00 retry: later\n');
    expect(text).toContain('\ncode:STOMP_ERR_UNAUTHORIZED\n');
    expect(text).not.toContain('\\c');
  });

  it('doubles a backslash, the one escape both kinds of reader take, so a 1.2 reader gets the text back', async () => {
    const running = await startServer({
      tcp: { port: 0, host: '127.0.0.1' },
      authenticate: () => {
        throw new StompError('STOMP_ERR_UNAUTHORIZED', 'No key in C:\\keys\\q: refused');
      },
    });
    const client = await RawClient.open(tcpUrl(running));
    client.send('CONNECT\naccept-version:1.2\n\n\0');
    const error = await client.nextCommand('ERROR');
    expect(client.decodeError).toBeUndefined(); // RawClient decodes by 1.2 rules until CONNECTED
    expect(header(error, 'message')).toBe('No key in C:\\keys\\q: refused');
    expect(Buffer.concat(client.messages.map((m) => m.data)).toString('latin1')).toContain('\nmessage:No key in C:\\\\keys\\\\q: refused\n');
  });

  it('carries an unsupported version refusal unescaped', async () => {
    const running = await startServer({ tcp: { port: 0, host: '127.0.0.1' } });
    const text = await answerTo(tcpUrl(running), 'CONNECT\naccept-version:9.9\n\n\0');
    expect(text).toMatch(/^ERROR\n/);
    expect(text).toContain('\ncode:STOMP_ERR_UNSUPPORTED_VERSION\n');
    expect(text).toContain('\nversion:1.2,1.1,1.0\n');
    expect(text).not.toContain('\\c');
  });

  it('carries the relay\'s "Broker relay unavailable: ..." with its colon, over TCP and WebSocket', async () => {
    const relay = new StompBrokerRelay({ port: await closedPort(), reconnectDelay: [50, 200], connectTimeout: 500, logger: silentLogger });
    relays.push(relay);
    void relay.start();
    const running = await startServer({ relay, tcp: { port: 0, host: '127.0.0.1' } });
    for (const url of [tcpUrl(running), running.ws('/stomp')]) {
      const text = await answerTo(url, 'CONNECT\naccept-version:1.2\nhost:/\n\n\0');
      expect(text).toMatch(/^ERROR\n/);
      expect(text).toContain('\nmessage:Broker relay unavailable: the external STOMP broker is unreachable\n');
      expect(text).toContain('\ncode:STOMP_ERR_RELAY_UNAVAILABLE\n');
      expect(text).not.toContain('\\c');
    }
  });

  it('is escaped by the negotiated version once CONNECTED went out', async () => {
    const running = await startServer({ tcp: { port: 0, host: '127.0.0.1' } });
    const client = await RawClient.connected(tcpUrl(running));
    client.send('COMMIT\ntransaction:tx\\c1\n\n\0'); // unknown transaction "tx:1"
    await client.closed;
    const text = Buffer.concat(client.messages.map((m) => m.data)).toString('latin1');
    const error = text.slice(text.indexOf('ERROR\n'));
    expect(error).toContain('\nmessage:COMMIT names unknown transaction "tx\\c1"\n');
  });
});
