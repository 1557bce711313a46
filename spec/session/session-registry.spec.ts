import { SessionRegistry } from '../../broker/session/session-registry';

const session = (sessionId: string): { sessionId: string } => ({ sessionId });

describe('SessionRegistry', () => {
  it('admits up to maxConnections open sessions, then refuses until one closes', () => {
    const r = new SessionRegistry(2);
    const a = session('a');
    r.add(a);
    expect(r.refusing()).toBe(false);
    r.add(session('b'));
    expect(r.refusing()).toBe(true);
    r.remove(a);
    expect(r.refusing()).toBe(false);
  });

  it('has no limit with maxConnections 0, and refuses everything once it stops admitting', () => {
    const r = new SessionRegistry(0);
    for (let i = 0; i < 100; i++) r.add(session(`s${i}`));
    expect(r.refusing()).toBe(false);
    r.stopAdmitting();
    expect(r.shuttingDown).toBe(true);
    expect(r.refusing()).toBe(true);
  });

  it('keeps connected sessions by id and says which states a removed session left', () => {
    const r = new SessionRegistry(0);
    const a = session('a');
    const b = session('b');
    r.add(a);
    r.add(b);
    r.markConnected(a);
    expect([...r.connected.keys()]).toEqual(['a']);
    expect(r.remove(a)).toEqual({ open: true, connected: true });
    expect(r.remove(b)).toEqual({ open: true, connected: false });
    expect(r.remove(a)).toEqual({ open: false, connected: false });
    expect(r.connected.size).toBe(0);
  });

  it('never removes another session that holds the same id', () => {
    const r = new SessionRegistry(0);
    const first = session('same');
    const second = session('same');
    r.add(first);
    r.add(second);
    r.markConnected(second);
    expect(r.remove(first)).toEqual({ open: true, connected: false });
    expect(r.connected.get('same')).toBe(second);
  });

  it('emits opened, connected and closed once each', () => {
    const r = new SessionRegistry(0);
    const events: string[] = [];
    r.on('opened', (s) => events.push(`opened ${s.sessionId}`));
    r.on('connected', (s) => events.push(`connected ${s.sessionId}`));
    r.on('closed', (s) => events.push(`closed ${s.sessionId}`));
    const a = session('a');
    r.add(a);
    r.markConnected(a);
    r.remove(a);
    r.remove(a);
    expect(events).toEqual(['opened a', 'connected a', 'closed a']);
  });

  it('resolves drained at once when empty, and the moment the last open session goes', async () => {
    const r = new SessionRegistry(0);
    await r.drained();
    const a = session('a');
    const b = session('b');
    r.add(a);
    r.add(b);
    let drained = false;
    const done = r.drained().then(() => (drained = true));
    r.remove(a);
    await Promise.resolve();
    expect(drained).toBe(false);
    r.remove(b);
    await done;
    expect(drained).toBe(true);
  });

  it('drainedWithin resolves false at its timeout while a session stays open, true once drained', async () => {
    const r = new SessionRegistry(0);
    const a = session('a');
    r.add(a);
    expect(await r.drainedWithin(20)).toBe(false);
    const pending = r.drainedWithin(60000);
    r.remove(a);
    expect(await pending).toBe(true);
  });
});
