import { HandlerRegistry } from '../../broker/app/handler-registry';
import { isStompError } from '../../broker/errors';

const noop = (): undefined => undefined;

function refusal(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    expect(isStompError(err, 'STOMP_ERR_INVALID_OPTION')).toBe(true);
    return err as Error;
  }
  throw new Error('expected a refusal');
}

describe('HandlerRegistry', () => {
  it('refuses a duplicate pattern, naming both mappings', () => {
    const r = new HandlerRegistry();
    r.add('message', '/chat/{room}', noop, { name: 'First.say' });
    const err = refusal(() => r.add('message', '/chat/{room}', noop, { name: 'Second.say' }));
    expect(err.message).toContain('First.say');
    expect(err.message).toContain('Second.say');
  });

  it('refuses two patterns of equal specificity that match one destination, naming both', () => {
    const r = new HandlerRegistry();
    r.add('message', '/a/{x}', noop, { name: 'A.vars' });
    const err = refusal(() => r.add('message', '/a/*', noop, { name: 'A.star' }));
    expect(err.message).toMatch(/ambiguous/);
    expect(err.message).toContain('"/a/{x}" (A.vars)');
    expect(err.message).toContain('"/a/*" (A.star)');
    refusal(() => r.add('message', '/{y}/b', noop));
  });

  it('accepts overlapping patterns of different specificity and prefers the more specific', () => {
    const r = new HandlerRegistry();
    r.add('message', '/a/**', noop, { name: 'glob' });
    r.add('message', '/a/{x}', noop, { name: 'var' });
    r.add('message', '/a/b', noop, { name: 'literal' });
    expect(r.match('message', '/a/b')?.mapping.name).toBe('literal');
    expect(r.match('message', '/a/c')).toMatchObject({ mapping: { name: 'var' }, params: { x: 'c' } });
    expect(r.match('message', '/a/c/d')?.mapping.name).toBe('glob');
  });

  it('keeps SEND and SUBSCRIBE mappings apart', () => {
    const r = new HandlerRegistry();
    r.add('message', '/a/{x}', noop);
    expect(() => r.add('subscribe', '/a/*', noop)).not.toThrow();
  });

  it('refuses a schema without safeParse', () => {
    const r = new HandlerRegistry();
    const err = refusal(() => r.add('message', '/a', noop, { schema: {} as never }));
    expect(err.message).toContain('"schema"');
  });
});
