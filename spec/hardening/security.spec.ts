/**
 * Security properties with a real server and clients: headers and JSON payloads cannot
 * pollute prototypes, clients never see stack traces or internal detail, and neither
 * passcodes nor bodies reach the logs, at any level.
 */
import { SimpleBroker, type Subscription } from '../../broker';
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, startServer } from '../helpers/server';
import { CapturingLogger } from './helpers';

afterEach(async () => {
  await closeClients();
  await closeServers();
  delete (Object.prototype as Record<string, unknown>).polluted;
});

const STACK = /\n\s+at .+[(:]\d+/; // a V8 stack frame line

describe('prototype pollution', () => {
  it('carries __proto__, constructor and prototype headers as plain data', async () => {
    const running = await startServer();
    const client = await RawClient.connected(running.ws('/stomp'));
    client.send('SUBSCRIBE\nid:0\ndestination:/topic/p\nreceipt:r\n\n\0');
    await client.nextCommand('RECEIPT');
    client.send('SEND\ndestination:/topic/p\n__proto__:polluted\nconstructor:x\nprototype:y\ntoString:z\n\nbody\0');
    const message = await client.nextCommand('MESSAGE');
    expect(header(message, '__proto__')).toBe('polluted');
    expect(header(message, 'constructor')).toBe('x');
    expect(header(message, 'toString')).toBe('z');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(typeof {}.toString).toBe('function');
  });

  it.each([
    ['__proto__', '{"__proto__":{"polluted":true},"name":"a"}'],
    ['constructor.prototype', '{"constructor":{"prototype":{"polluted":true}},"name":"a"}'],
  ])('parses a JSON payload with %s without polluting Object.prototype', async (_what, json) => {
    const running = await startServer();
    const seen: unknown[] = [];
    running.server.onMessage('/app/json', (payload: Record<string, unknown>) => {
      seen.push(payload);
      return { echoed: payload.name };
    });
    const client = await RawClient.connected(running.ws('/stomp'));
    client.send('SUBSCRIBE\nid:0\ndestination:/topic/app/json\nreceipt:r\n\n\0');
    await client.nextCommand('RECEIPT');
    client.send(`SEND\ndestination:/app/json\ncontent-type:application/json\n\n${json}\0`);
    const reply = await client.nextCommand('MESSAGE');
    expect(JSON.parse(reply.body.toString())).toEqual({ echoed: 'a' });
    expect(seen).toHaveLength(1);
    expect(Object.getPrototypeOf(seen[0])).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('what clients see of failures', () => {
  it('answers an internal fault with "Internal server error" and no stack or detail', async () => {
    class FailingBroker extends SimpleBroker {
      override subscribe(_sub: Subscription): void {
        throw new TypeError('secret internal detail');
      }
    }
    const logger = new CapturingLogger();
    const running = await startServer({ broker: new FailingBroker(), logger });
    const client = await RawClient.connected(running.ws('/stomp'));
    client.send('SUBSCRIBE\nid:0\ndestination:/topic/x\nreceipt:r1\n\n\0');
    const error = await client.nextCommand('ERROR');
    expect(header(error, 'code')).toBe('STOMP_ERR_INTERNAL');
    expect(header(error, 'message')).toBe('Internal server error');
    expect(header(error, 'receipt-id')).toBe('r1');
    const wire = Buffer.concat(client.messages.map((m) => m.data)).toString();
    expect(wire).not.toContain('secret internal detail');
    expect(wire).not.toContain('TypeError');
    expect(wire).not.toMatch(STACK);
    // The operator, not the client, gets the detail.
    expect(logger.at('error').some((e) => String((e.obj as { err?: Error }).err?.message).includes('secret internal detail'))).toBe(true);
  });

  it('reports a throwing handler without a stack trace', async () => {
    const running = await startServer();
    running.server.onMessage('/app/boom', () => {
      throw new Error('handler exploded');
    });
    const client = await RawClient.connected(running.ws('/stomp'), { login: 'alice' });
    client.send('SUBSCRIBE\nid:e\ndestination:/user/queue/errors\nreceipt:r\n\n\0');
    await client.nextCommand('RECEIPT');
    client.send('SEND\ndestination:/app/boom\nreceipt:s\n\n{}\0');
    await client.nextCommand('RECEIPT');
    const wire = Buffer.concat(client.messages.map((m) => m.data)).toString();
    expect(wire).not.toMatch(STACK);
    expect(running.server.stats().handlerErrors).toBe(1);
  });
});

describe('logging', () => {
  it('logs connections at info, faults at warn, frames at debug, and never a passcode or a body', async () => {
    const logger = new CapturingLogger();
    const running = await startServer({ logger });
    running.server.onMessage('/app/fail', () => {
      throw new Error('failed on purpose');
    });
    const client = await RawClient.connected(running.ws('/stomp'), { login: 'alice', passcode: 'pa55-SECRET-word' });
    client.send('SUBSCRIBE\nid:0\ndestination:/topic/b\nreceipt:r\n\n\0');
    await client.nextCommand('RECEIPT');
    client.send('SEND\ndestination:/topic/b\n\nBODY-SECRET-1\0');
    await client.nextCommand('MESSAGE');
    client.send('SEND\ndestination:/app/fail\ncontent-type:text/plain\nreceipt:f\n\nBODY-SECRET-2\0');
    await client.nextCommand('RECEIPT');
    client.send('SEND\ndestination:/topic/b\ncontent-length:5\n\nBODY-SECRET-3 is longer than 5\0');
    await client.nextCommand('ERROR');
    await client.closed;
    const other = await RawClient.open(running.ws('/stomp'));
    other.send('CONNECT\naccept-version:1.2\nlogin:bob\npasscode:pa55-SECRET-word\n\n\0');
    await other.nextCommand('CONNECTED');
    await other.close();
    await running.server.close();

    const text = logger.text();
    expect(text).not.toContain('pa55-SECRET-word');
    expect(text).not.toContain('BODY-SECRET');
    expect(logger.at('info').filter((e) => e.msg === 'Session opened')).toHaveLength(2);
    expect(logger.at('info').filter((e) => e.msg === 'Session closed')).toHaveLength(2);
    expect(logger.at('warn').length).toBeGreaterThanOrEqual(2); // the handler failure and the bad frame
    const frames = logger.at('debug').filter((e) => e.msg === 'Frame received').map((e) => (e.obj as { command: string }).command);
    expect(frames).toEqual(expect.arrayContaining(['CONNECT', 'SUBSCRIBE', 'SEND']));
  });
});
