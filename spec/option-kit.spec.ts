import { StompError } from '../broker/errors';
import { freezeDefaults, invalidOption, nearestName, refuseUnknown } from '../broker/option-kit';

const caught = (run: () => unknown): StompError => {
  try {
    run();
  } catch (err) {
    if (err instanceof StompError) return err;
    throw err;
  }
  throw new Error('nothing was thrown');
};

describe('nearestName', () => {
  const known = ['maxFrameSize', 'maxHeaders', 'heartbeat', 'endpoints', 'port', 'tls'];

  it.each([
    ['maxFrameSzie', 'maxFrameSize'], // transposition
    ['maxframesize', 'maxFrameSize'], // case
    ['Heartbeat', 'heartbeat'],
    ['heartbeats', 'heartbeat'],
    ['endpoint', 'endpoints'],
    ['tsl', 'tls'],
    ['prot', 'port'],
  ])('suggests %s → %s', (typo, expected) => {
    expect(nearestName(typo, known)).toBe(expected);
  });

  it('suggests nothing for a name far from every known one', () => {
    expect(nearestName('colour', known)).toBeUndefined();
    expect(nearestName('x', known)).toBeUndefined();
  });
});

describe('refuseUnknown', () => {
  const known: ReadonlySet<string> = new Set(['port', 'host']);

  it('accepts an object of known names only', () => {
    expect(() => refuseUnknown({ port: 1, host: 'h' }, known)).not.toThrow();
    expect(() => refuseUnknown({}, known)).not.toThrow();
  });

  it('refuses an unknown name with STOMP_ERR_INVALID_OPTION, naming it, its place and the nearest known name', () => {
    const err = caught(() => refuseUnknown({ port: 1, hots: 'h' }, known, 'StompBrokerRelay', 'tcp.'));
    expect(err.code).toBe('STOMP_ERR_INVALID_OPTION');
    expect(err.message).toBe('Unknown StompBrokerRelay option "tcp.hots"; did you mean "tcp.host"?');
  });

  it('names an unknown option without a suggestion when none is near', () => {
    expect(caught(() => refuseUnknown({ colour: 'red' }, known)).message).toBe('Unknown option "colour"');
  });
});

describe('invalidOption', () => {
  it('names the owner, the option, what it takes and what it got', () => {
    expect(caught(() => invalidOption('port', 'an integer 1-65535', 70000, 'RedisBroker')).message).toBe('RedisBroker option "port" must be an integer 1-65535; received 70000');
    expect(caught(() => invalidOption('maxHeaders', 'an integer ≥ 1', 0)).message).toBe('Option "maxHeaders" must be an integer ≥ 1; received 0');
  });

  it('shows a function or undefined by its type instead of dropping it', () => {
    expect(caught(() => invalidOption('a', 'b', () => 1)).message).toContain('received <function>');
    expect(caught(() => invalidOption('a', 'b', undefined)).message).toContain('received undefined');
  });
});

describe('freezeDefaults', () => {
  it('freezes the table and every array and object in it', () => {
    const d = freezeDefaults({ list: ['/a'], nested: { n: 1, deeper: [1, 2] }, n: 1 });
    expect(Object.isFrozen(d)).toBe(true);
    expect(Object.isFrozen(d.list)).toBe(true);
    expect(Object.isFrozen(d.nested)).toBe(true);
    expect(Object.isFrozen(d.nested.deeper)).toBe(true);
    expect(() => d.list.push('/b')).toThrow(TypeError);
  });
});
