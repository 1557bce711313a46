/** Heart-beating end to end with short real intervals (STOMP 1.2 §"Heart-beating"). */
import type { StompServerConfig } from '../../broker';
import type { Session } from '../../broker/session/session';
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers } from '../helpers/server';
import { RAW_TRANSPORTS } from '../helpers/transports';

describe.each(RAW_TRANSPORTS)('over $name', (transport) => {
  afterEach(async () => {
    await closeClients();
    await closeServers();
  });

  async function connect(config: StompServerConfig, clientHeartBeat: string): Promise<{ c: RawClient; session: Session; server: import('../../broker').StompServer }> {
    const { running, url } = await transport.start(config);
    const c = await RawClient.connected(url, { 'heart-beat': clientHeartBeat });
    const session = running.server.sessions.get(header(c.frames[0], 'session')!)! as Session;
    return { c, session, server: running.server };
  }

  /** A heart-beat: a lone EOL (on WebSocket, in a text message). */
  const isBeat = (m: { data: Buffer; binary: boolean }): boolean => (!transport.framed || !m.binary) && m.data.toString() === '\n';

  describe('heart-beat negotiation', () => {
    it('offers the server heart-beat in CONNECTED', async () => {
      const { c } = await connect({ heartbeat: [50, 80] }, '0,0');
      expect(header(c.frames[0], 'heart-beat')).toBe('50,80');
    });

    it('uses the larger of what one side can send and the other wants', async () => {
      const { session } = await connect({ heartbeat: [50, 80] }, '100,200');
      expect(session.sendInterval).toBe(200);
      expect(session.receiveInterval).toBe(100);
    });

    it('schedules nothing for a client that asks for 0,0', async () => {
      const { session, server } = await connect({}, '0,0');
      expect(session.sendInterval).toBe(0);
      expect(session.receiveInterval).toBe(0);
      expect(server.heartbeats.size).toBe(0);
    });

    it('schedules nothing for a CONNECT without a heart-beat header', async () => {
      const { running, url } = await transport.start();
      const c = await RawClient.open(url);
      c.send('CONNECT\naccept-version:1.2\n\n\0');
      await c.next();
      expect(running.server.heartbeats.size).toBe(0);
    });

    it('disables a direction the server turns off', async () => {
      const { session } = await connect({ heartbeat: [0, 50] }, '60,60');
      expect(session.sendInterval).toBe(0);
      expect(session.receiveInterval).toBe(60);
    });

    it('defaults to 10000,10000 on the server side', async () => {
      const { c, session } = await connect({}, '5000,5000');
      expect(header(c.frames[0], 'heart-beat')).toBe('10000,10000');
      expect(session.sendInterval).toBe(10000);
      expect(session.receiveInterval).toBe(10000);
    });
  });

  describe('server heart-beats', () => {
    it('are lone "\\n" text messages written while the session is idle', async () => {
      const { c } = await connect({ heartbeat: [50, 0] }, '0,50');
      await c.messagesMatching(isBeat, 3, 2000);
      // Everything after CONNECTED is a heart-beat, each a message of its own, none a frame.
      expect(c.messages.slice(1).every(isBeat)).toBe(true);
      expect(c.frames.map((f) => f.command)).toEqual(['CONNECTED']);
    });
  });

  describe('client heart-beats', () => {
    it('keep a session open while they arrive', async () => {
      // Tolerance 4: a 200 ms stall of this busy test process must not read as silence.
      const { c, server, session } = await connect({ heartbeat: [50, 50], heartbeatTolerance: 4 }, '50,50');
      const beating = setInterval(() => c.send('\n'), 20);
      try {
        await c.messagesMatching(isBeat, 8, 3000); // ≥ 400 ms, 2× the tolerated silence
      } finally {
        clearInterval(beating);
      }
      expect(c.frames.map((f) => f.command)).toEqual(['CONNECTED']);
      expect(server.sessions.get(session.sessionId)).toBe(session);
    });

    it('close the session with an ERROR once they stop for longer than the tolerance', async () => {
      const { c, server } = await connect({ heartbeat: [0, 50] }, '50,0');
      const started = Date.now();
      const gone = new Promise<{ reason: string }>((resolve) => server.once('disconnect', resolve));
      const error = await c.nextCommand('ERROR', 3000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(80); // 2 × 50 ms, less the client's head start
      expect(header(error, 'code')).toBe('STOMP_ERR_HEARTBEAT_TIMEOUT');
      expect(header(error, 'message')).toContain('expected every 50 ms');
      await c.closed;
      expect((await gone).reason).toBe('heartbeat-timeout');
      expect(server.sessions.size).toBe(0);
    });

    it('count any frame from the client as a sign of life', async () => {
      const { c, server, session } = await connect({ heartbeat: [50, 50], heartbeatTolerance: 4 }, '50,50');
      let n = 0;
      const sending = setInterval(() => c.send(`SEND\ndestination:/topic/alive\n\n${n++}\0`), 20);
      try {
        await c.messagesMatching(isBeat, 6, 3000);
      } finally {
        clearInterval(sending);
      }
      expect(server.sessions.get(session.sessionId)).toBe(session);
    });
  });
});
