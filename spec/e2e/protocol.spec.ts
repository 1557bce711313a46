/**
 * The STOMP protocol end to end over a raw socket, once per transport (plain WebSocket, STOMP
 * over TCP): literal frames in, decoded (and, where it matters, byte-exact) frames out.
 */
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, type Running } from '../helpers/server';
import { RAW_TRANSPORTS } from '../helpers/transports';

describe.each(RAW_TRANSPORTS)('over $name', (transport) => {
  let running: Running;
  let url: string;

  beforeEach(async () => {
    ({ running, url } = await transport.start());
  });

  afterEach(async () => {
    await closeClients();
    await closeServers();
  });

  const text = (m: { data: Buffer }): string => m.data.toString('utf8');

  describe('version negotiation', () => {
    it('speaks 1.0 to a CONNECT without accept-version', async () => {
      const c = await RawClient.open(url);
      c.send('CONNECT\n\n\0');
      const f = await c.next();
      expect(f.command).toBe('CONNECTED');
      expect(header(f, 'version')).toBe('1.0');
    });

    it('picks the highest version both sides speak', async () => {
      const c = await RawClient.open(url);
      c.send('CONNECT\naccept-version:1.1,1.0\n\n\0');
      expect(header(await c.next(), 'version')).toBe('1.1');
    });

    it('picks 1.2 from an unordered list with unknown versions', async () => {
      const c = await RawClient.open(url);
      c.send('CONNECT\naccept-version:2.0,1.0,1.2\n\n\0');
      expect(header(await c.next(), 'version')).toBe('1.2');
    });

    it('answers an unsupported version with an ERROR listing ours, then closes', async () => {
      const c = await RawClient.open(url);
      c.send('CONNECT\naccept-version:2.0,3.1\n\n\0');
      const f = await c.next();
      expect(f.command).toBe('ERROR');
      expect(header(f, 'version')).toBe('1.2,1.1,1.0');
      expect(header(f, 'code')).toBe('STOMP_ERR_UNSUPPORTED_VERSION');
      await c.closed;
    });
  });

  describe('CONNECTED', () => {
    it('carries version, heart-beat, server and session, byte for byte', async () => {
      const c = await RawClient.open(url);
      c.send('CONNECT\naccept-version:1.2\nhost:localhost\nheart-beat:0,0\n\n\0');
      await c.next();
      const [id] = [...running.server.sessions.keys()];
      expect(text(c.messages[0])).toBe(`CONNECTED\nversion:1.2\nheart-beat:10000,10000\nserver:stompbox/0.1.0\nsession:${id}\n\n\0`);
    });

    it('names the principal in user-name when CONNECT has a login', async () => {
      const c = await RawClient.connected(url, { login: 'alice', passcode: 'secret' });
      const f = c.frames[0];
      expect(header(f, 'user-name')).toBe('alice');
      expect(text(c.messages[0])).not.toContain('secret');
    });

    it('has no user-name for an anonymous session', async () => {
      const c = await RawClient.connected(url);
      expect(header(c.frames[0], 'user-name')).toBeUndefined();
    });

    it('is never escaped, whatever the version', async () => {
      const c = await RawClient.open(url);
      c.send('CONNECT\naccept-version:1.2\nheart-beat:0,0\nlogin:a:b\\c\n\n\0');
      await c.next();
      expect(text(c.messages[0])).toContain('\nuser-name:a:b\\c\n');
      expect(header(c.frames[0], 'user-name')).toBe('a:b\\c');
    });

    it('answers the STOMP command like CONNECT', async () => {
      const c = await RawClient.open(url);
      c.send('STOMP\naccept-version:1.2\nhost:localhost\nheart-beat:0,0\n\n\0');
      const f = await c.next();
      expect(f.command).toBe('CONNECTED');
      expect(header(f, 'version')).toBe('1.2');
    });

    it('names the session the server registered', async () => {
      const c = await RawClient.connected(url);
      const id = header(c.frames[0], 'session')!;
      expect(running.server.sessions.has(id)).toBe(true);
    });
  });

  describe('header escaping on the wire', () => {
    it('escapes CR, LF, colon and backslash in MESSAGE headers on 1.2', async () => {
      const c = await RawClient.connected(url, { 'accept-version': '1.2' });
      c.send('SUBSCRIBE\nid:s\\c1\ndestination:/topic/a\\cb\\nc\nreceipt:r\n\n\0');
      await c.nextCommand('RECEIPT');
      c.send('SEND\ndestination:/topic/a\\cb\\nc\nx-note:one\\r\\ntwo\\cthree\\\\four\n\nhi\0');
      const m = await c.nextCommand('MESSAGE');
      expect(header(m, 'destination')).toBe('/topic/a:b\nc');
      expect(header(m, 'subscription')).toBe('s:1');
      expect(header(m, 'x-note')).toBe('one\r\ntwo:three\\four');
      const wire = text(c.messages[c.messages.length - 1]);
      expect(wire).toContain('\nsubscription:s\\c1\n');
      expect(wire).toContain('\ndestination:/topic/a\\cb\\nc\n');
      expect(wire).toContain('\nx-note:one\\r\\ntwo\\cthree\\\\four\n');
    });

    it('escapes LF, colon and backslash but not CR on 1.1', async () => {
      const c = await RawClient.connected(url, { 'accept-version': '1.1' });
      c.send('SUBSCRIBE\nid:1\ndestination:/topic/a\\cb\\nc\nreceipt:r\n\n\0');
      await c.nextCommand('RECEIPT');
      c.send('SEND\ndestination:/topic/a\\cb\\nc\nx-note:two\\cthree\\\\four\\nfive\n\nhi\0');
      const m = await c.nextCommand('MESSAGE');
      expect(header(m, 'x-note')).toBe('two:three\\four\nfive');
      const wire = text(c.messages[c.messages.length - 1]);
      expect(wire).toContain('\ndestination:/topic/a\\cb\\nc\n');
      expect(wire).toContain('\nx-note:two\\cthree\\\\four\\nfive\n');
    });

    it('treats \\r as an undefined escape on 1.1', async () => {
      const c = await RawClient.connected(url, { 'accept-version': '1.1' });
      c.send('SEND\ndestination:/topic/a\nx:a\\rb\n\n\0');
      const f = await c.next();
      expect(f.command).toBe('ERROR');
      expect(header(f, 'code')).toBe('STOMP_ERR_INVALID_ESCAPE');
    });

    it('escapes nothing on 1.0: colons and backslashes travel as they are', async () => {
      const c = await RawClient.connected(url, { 'accept-version': '1.0' });
      c.send('SUBSCRIBE\nid:1\ndestination:/topic/a:b\nreceipt:r\n\n\0');
      await c.nextCommand('RECEIPT');
      c.send('SEND\ndestination:/topic/a:b\nx-note:two:three\\cfour\n\nhi\0');
      await c.nextCommand('MESSAGE');
      const wire = text(c.messages[c.messages.length - 1]);
      expect(wire).toContain('\ndestination:/topic/a:b\n');
      expect(wire).toContain('\nx-note:two:three\\cfour\n');
    });

    it('turns an EOL in a header value into a space on 1.0, so it cannot inject a header', async () => {
      const c = await RawClient.connected(url, { 'accept-version': '1.0' });
      c.send('SUBSCRIBE\nid:1\ndestination:/topic/note\nreceipt:r\n\n\0');
      await c.nextCommand('RECEIPT');
      await running.server.template.convertAndSend('/topic/note', 'x', { note: 'a\nevil:1' });
      const m = await c.nextCommand('MESSAGE');
      expect(header(m, 'note')).toBe('a evil:1');
      expect(header(m, 'evil')).toBeUndefined();
    });
  });

  describe('frames on the wire', () => {
    it('keeps the first of repeated headers', async () => {
      const c = await RawClient.connected(url);
      c.send('SUBSCRIBE\nid:a\ndestination:/topic/a\n\n\0SUBSCRIBE\nid:b\ndestination:/topic/b\nreceipt:r\n\n\0');
      await c.nextCommand('RECEIPT');
      c.send('SEND\ndestination:/topic/a\ndestination:/topic/b\nx:1\nx:2\n\nfirst\0');
      const m = await c.nextCommand('MESSAGE');
      expect(header(m, 'destination')).toBe('/topic/a');
      expect(m.headers.filter(([n]) => n === 'x')).toEqual([['x', '1']]);
      expect(c.pending).toEqual([]);
    });

    it('carries a content-length body with NUL and non-UTF-8 bytes intact (on WebSocket, in a binary message)', async () => {
      const c = await RawClient.connected(url);
      c.send('SUBSCRIBE\nid:1\ndestination:/topic/bin\nreceipt:r\n\n\0');
      await c.nextCommand('RECEIPT');
      const body = Buffer.from([0, 1, 0, 0xff, 0xfe, 0]);
      c.send(Buffer.concat([Buffer.from('SEND\ndestination:/topic/bin\ncontent-type:application/octet-stream\ncontent-length:6\n\n'), body, Buffer.from([0])]));
      const m = await c.nextCommand('MESSAGE');
      expect(m.body).toEqual(body);
      expect(header(m, 'content-length')).toBe('6');
      expect(header(m, 'content-type')).toBe('application/octet-stream');
      if (transport.framed) expect(c.messages[c.messages.length - 1].binary).toBe(true);
    });

    it('carries a UTF-8 body containing NUL (on WebSocket, in a text message)', async () => {
      const c = await RawClient.connected(url);
      c.send('SUBSCRIBE\nid:1\ndestination:/topic/t\nreceipt:r\n\n\0');
      await c.nextCommand('RECEIPT');
      c.send('SEND\ndestination:/topic/t\ncontent-length:5\n\na\0b\0c\0');
      const m = await c.nextCommand('MESSAGE');
      expect(m.body.toString()).toBe('a\0b\0c');
      if (transport.framed) expect(c.messages[c.messages.length - 1].binary).toBe(false);
    });

    it('reassembles a frame split across several messages or writes', async () => {
      const c = await RawClient.connected(url);
      c.send('SUBSCRIBE\nid:1\ndestination:/topic/split\nreceipt:r\n\n\0');
      await c.nextCommand('RECEIPT');
      const frame = 'SEND\ndestination:/topic/split\ncontent-type:text/plain\n\nsplit body\0';
      for (const part of [frame.slice(0, 3), frame.slice(3, 20), frame.slice(20, 50), frame.slice(50)]) c.send(part);
      const m = await c.nextCommand('MESSAGE');
      expect(m.body.toString()).toBe('split body');
    });

    it('reassembles a frame cut at every byte offset', async () => {
      const c = await RawClient.connected(url);
      c.send('SUBSCRIBE\nid:1\ndestination:/topic/cut\nreceipt:r\n\n\0');
      await c.nextCommand('RECEIPT');
      const frame = Buffer.from('SEND\ndestination:/topic/cut\ncontent-length:5\nx:1\n\na\0b\0c\0');
      for (let cut = 1; cut < frame.length; cut++) {
        c.send(frame.subarray(0, cut));
        // A turn in between, so that TCP writes the two parts apart (on WebSocket they are two messages anyway).
        await new Promise((resolve) => setTimeout(resolve, 1));
        c.send(frame.subarray(cut));
        const m = await c.nextCommand('MESSAGE');
        expect([cut, m.body.toString('latin1')]).toEqual([cut, 'a\0b\0c']);
      }
      expect(c.pending).toEqual([]);
    });

    it('handles several frames in one WebSocket message, with EOLs between them as heart-beats', async () => {
      const c = await RawClient.connected(url);
      c.send(
        '\n\r\nSUBSCRIBE\nid:1\ndestination:/topic/many\n\n\0\n\n' +
          'SEND\ndestination:/topic/many\n\none\0\r\n' +
          'SEND\ndestination:/topic/many\n\ntwo\0' +
          'SEND\ndestination:/topic/many\nreceipt:done\n\nthree\0\n',
      );
      await c.nextCommand('RECEIPT');
      expect(c.frames.filter((f) => f.command === 'MESSAGE').map((f) => f.body.toString())).toEqual(['one', 'two', 'three']);
    });

    it('accepts CRLF line endings', async () => {
      const c = await RawClient.connected(url);
      c.send('SUBSCRIBE\r\nid:1\r\ndestination:/topic/crlf\r\nreceipt:r\r\n\r\n\0');
      await c.nextCommand('RECEIPT');
      c.send('SEND\r\ndestination:/topic/crlf\r\n\r\ncrlf\0');
      expect((await c.nextCommand('MESSAGE')).body.toString()).toBe('crlf');
    });

    it('writes each server frame whole in one WebSocket message', async () => {
      const c = await RawClient.connected(url);
      c.send('SUBSCRIBE\nid:1\ndestination:/topic/whole\nreceipt:r\n\n\0');
      await c.nextCommand('RECEIPT');
      c.send('SEND\ndestination:/topic/whole\n\none\0SEND\ndestination:/topic/whole\nreceipt:r2\n\ntwo\0');
      await c.nextMatching((f) => f.command === 'RECEIPT' && header(f, 'receipt-id') === 'r2', 'RECEIPT r2');
      for (const m of c.messages) {
        expect(m.data[m.data.length - 1]).toBe(0);
        expect(m.data.indexOf(0)).toBe(m.data.length - 1);
      }
      expect(c.messages).toHaveLength(c.frames.length);
    });
  });

  describe('STOMP 1.0 sessions', () => {
    it('name a subscription without id by its destination, and UNSUBSCRIBE by destination', async () => {
      const c = await RawClient.connected(url, { 'accept-version': '1.0' });
      c.send('SUBSCRIBE\ndestination:/topic/old\nreceipt:s\n\n\0');
      await c.nextCommand('RECEIPT');
      c.send('SEND\ndestination:/topic/old\n\nx\0');
      expect(header(await c.nextCommand('MESSAGE'), 'subscription')).toBe('/topic/old');
      c.send('UNSUBSCRIBE\ndestination:/topic/old\nreceipt:u\n\n\0');
      await c.nextCommand('RECEIPT');
      c.send('SEND\ndestination:/topic/old\nreceipt:after\n\ny\0');
      await c.nextMatching((f) => header(f, 'receipt-id') === 'after', 'RECEIPT after');
      expect(c.frames.filter((f) => f.command === 'MESSAGE')).toHaveLength(1);
    });
  });

  describe('header names', () => {
    it('treats __proto__ and constructor as plain headers', async () => {
      const c = await RawClient.connected(url);
      c.send('SUBSCRIBE\nid:1\ndestination:/topic/proto\nreceipt:r\n\n\0');
      await c.nextCommand('RECEIPT');
      c.send('SEND\ndestination:/topic/proto\n__proto__:polluted\nconstructor:x\ntoString:y\n\nbody\0');
      const m = await c.nextCommand('MESSAGE');
      expect(header(m, '__proto__')).toBe('polluted');
      expect(header(m, 'constructor')).toBe('x');
      expect(header(m, 'toString')).toBe('y');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe('RECEIPT', () => {
    it('follows the effect of SUBSCRIBE: a SEND right after the receipt is never lost', async () => {
      const subscriber = await RawClient.connected(url);
      const publisher = await RawClient.connected(url);
      for (let i = 0; i < 200; i++) {
        subscriber.send(`SUBSCRIBE\nid:${i}\ndestination:/topic/race/${i}\nreceipt:sub-${i}\n\n\0`);
        await subscriber.nextCommand('RECEIPT');
        publisher.send(`SEND\ndestination:/topic/race/${i}\n\nmessage ${i}\0`);
        const m = await subscriber.nextCommand('MESSAGE');
        expect(m.body.toString()).toBe(`message ${i}`);
      }
    });

    it('names the receipt of the frame it answers', async () => {
      const c = await RawClient.connected(url);
      c.send('SEND\ndestination:/topic/x\nreceipt:my-receipt:1\n\nbody\0');
      const f = await c.next();
      expect(f).toMatchObject({ command: 'RECEIPT', headers: [['receipt-id', 'my-receipt:1']] });
    });

    it('answers every frame that asks, in order', async () => {
      const c = await RawClient.connected(url);
      c.send(
        'SUBSCRIBE\nid:1\ndestination:/topic/r\nreceipt:1\n\n\0' +
          'SEND\ndestination:/topic/r\nreceipt:2\n\nx\0' +
          'BEGIN\ntransaction:t\nreceipt:3\n\n\0' +
          'ABORT\ntransaction:t\nreceipt:4\n\n\0' +
          'UNSUBSCRIBE\nid:1\nreceipt:5\n\n\0',
      );
      await c.nextMatching((f) => header(f, 'receipt-id') === '5', 'RECEIPT 5');
      expect(c.frames.slice(1).map((f) => `${f.command}:${header(f, 'receipt-id') ?? ''}`)).toEqual([
        'RECEIPT:1',
        'MESSAGE:',
        'RECEIPT:2',
        'RECEIPT:3',
        'RECEIPT:4',
        'RECEIPT:5',
      ]);
    });
  });

  describe('MESSAGE', () => {
    it('carries the SEND headers except receipt and transaction', async () => {
      const c = await RawClient.connected(url);
      c.send('SUBSCRIBE\nid:sub-0\ndestination:/topic/h\nreceipt:r\n\n\0');
      await c.nextCommand('RECEIPT');
      c.send('BEGIN\ntransaction:tx\n\n\0');
      c.send('SEND\ndestination:/topic/h\ntransaction:tx\nreceipt:inner\ncorrelation-id:42\nx-custom:yes\ncontent-type:text/plain\n\nbody\0');
      c.send('COMMIT\ntransaction:tx\nreceipt:commit\n\n\0');
      const m = await c.nextCommand('MESSAGE');
      expect(header(m, 'correlation-id')).toBe('42');
      expect(header(m, 'x-custom')).toBe('yes');
      expect(header(m, 'receipt')).toBeUndefined();
      expect(header(m, 'transaction')).toBeUndefined();
      expect(m.headers.map(([n]) => n).slice(0, 5)).toEqual(['subscription', 'message-id', 'destination', 'content-type', 'content-length']);
    });

    it('has a unique message-id per message', async () => {
      const c = await RawClient.connected(url);
      c.send('SUBSCRIBE\nid:1\ndestination:/topic/ids\n\n\0');
      c.send('SEND\ndestination:/topic/ids\n\na\0SEND\ndestination:/topic/ids\n\nb\0SEND\ndestination:/topic/ids\nreceipt:r\n\nc\0');
      await c.nextCommand('RECEIPT');
      const ids = c.frames.filter((f) => f.command === 'MESSAGE').map((f) => header(f, 'message-id'));
      expect(new Set(ids).size).toBe(3);
    });

    it('has a byte-accurate content-length for multi-byte UTF-8 bodies', async () => {
      const c = await RawClient.connected(url);
      c.send('SUBSCRIBE\nid:1\ndestination:/topic/utf8\nreceipt:r\n\n\0');
      await c.nextCommand('RECEIPT');
      c.send('SEND\ndestination:/topic/utf8\n\nпривет, 世界 🎉\0');
      const m = await c.nextCommand('MESSAGE');
      expect(header(m, 'content-length')).toBe(String(Buffer.byteLength('привет, 世界 🎉')));
    });

    it('reaches pattern subscriptions (*, **, {var}) as well as exact ones', async () => {
      const c = await RawClient.connected(url);
      c.send(
        'SUBSCRIBE\nid:exact\ndestination:/topic/a/b\n\n\0' +
          'SUBSCRIBE\nid:star\ndestination:/topic/*/b\n\n\0' +
          'SUBSCRIBE\nid:glob\ndestination:/topic/**\n\n\0' +
          'SUBSCRIBE\nid:var\ndestination:/topic/{x}/b\n\n\0' +
          'SUBSCRIBE\nid:other\ndestination:/topic/a/c\nreceipt:r\n\n\0',
      );
      await c.nextCommand('RECEIPT');
      c.send('SEND\ndestination:/topic/a/b\nreceipt:sent\n\nx\0');
      await c.nextMatching((f) => header(f, 'receipt-id') === 'sent', 'RECEIPT sent');
      const subs = c.frames.filter((f) => f.command === 'MESSAGE').map((f) => header(f, 'subscription'));
      expect(subs.sort()).toEqual(['exact', 'glob', 'star', 'var']);
    });
  });

  describe('DISCONNECT', () => {
    it('sends its RECEIPT as the last frame, then closes cleanly', async () => {
      const c = await RawClient.connected(url);
      const gone = new Promise<{ reason: string }>((resolve) => running.server.once('disconnect', resolve));
      c.send('DISCONNECT\nreceipt:bye\n\n\0');
      const { code } = await c.closed;
      expect((await gone).reason).toBe('disconnect');
      expect(code).toBe(1000);
      expect(c.frames[c.frames.length - 1]).toMatchObject({ command: 'RECEIPT', headers: [['receipt-id', 'bye']] });
      expect(running.server.sessions.size).toBe(0);
    });

    it('closes without a receipt when none was asked for', async () => {
      const c = await RawClient.connected(url);
      c.send('DISCONNECT\n\n\0');
      await c.closed;
      expect(c.frames.map((f) => f.command)).toEqual(['CONNECTED']);
    });

    it('ignores frames after DISCONNECT in the same message', async () => {
      const c = await RawClient.connected(url);
      c.send('SUBSCRIBE\nid:1\ndestination:/topic/late\n\n\0DISCONNECT\nreceipt:bye\n\n\0SEND\ndestination:/topic/late\n\nlate\0');
      await c.closed;
      expect(c.frames.map((f) => f.command)).toEqual(['CONNECTED', 'RECEIPT']);
    });
  });

  describe('a dead socket', () => {
    it('is cleaned up: session and subscriptions removed', async () => {
      const c = await RawClient.connected(url, { login: 'ghost' });
      c.send('SUBSCRIBE\nid:1\ndestination:/topic/dead\n\n\0SUBSCRIBE\nid:2\ndestination:/user/queue/x\nreceipt:r\n\n\0');
      await c.nextCommand('RECEIPT');
      const broker = running.server.broker as import('../../broker').SimpleBroker;
      expect(broker.localStats().subscriptions).toBe(2);
      expect(broker.userSessionCount('ghost')).toBe(1);
      const gone = new Promise<{ reason: string }>((resolve) => running.server.once('disconnect', resolve));
      c.destroySocket(); // no close frame, no FIN
      expect((await gone).reason).toBe('transport-closed');
      expect(running.server.sessions.size).toBe(0);
      expect(broker.localStats().subscriptions).toBe(0);
      expect(broker.userSessionCount('ghost')).toBe(0);
      expect(broker.hasLocalSubscribers('/topic/dead')).toBe(false);
    });
  });
});
