import { StompError } from '../../broker/errors';
import { detached, escapeHeader, preConnectHeader, stripEol, unescapeHeader } from '../../broker/stomp/headers';
import type { StompVersion } from '../../broker/stomp/versions';

// STOMP 1.2 §"Value Encoding": \r, \n, : and \ are escaped as \r, \n, \c and \\.
// STOMP 1.1 defines the same set without \r. STOMP 1.0 defines no escaping at all.
describe('escapeHeader', () => {
  it.each([
    ['1.2', 'a:b', 'a\\cb'],
    ['1.2', 'line\nbreak', 'line\\nbreak'],
    ['1.2', 'carriage\rreturn', 'carriage\\rreturn'],
    ['1.2', 'back\\slash', 'back\\\\slash'],
    ['1.2', '\\n', '\\\\n'],
    ['1.2', ':\r\n\\', '\\c\\r\\n\\\\'],
    ['1.1', 'a:b', 'a\\cb'],
    ['1.1', 'line\nbreak', 'line\\nbreak'],
    ['1.1', 'carriage\rreturn', 'carriage\rreturn'],
    ['1.1', 'back\\slash', 'back\\\\slash'],
    ['1.0', 'a:b', 'a:b'],
    ['1.0', 'back\\slash', 'back\\slash'],
    ['1.0', 'line\nbreak', 'line break'],
    ['1.0', 'crlf\r\nend', 'crlf  end'],
  ] as const)('under %s writes %j as %j', (version, value, wire) => {
    expect(escapeHeader(value, version)).toBe(wire);
  });

  it.each(['1.2', '1.1', '1.0'] as const)('leaves plain text and unicode unchanged under %s', (version) => {
    const value = '/topic/caf\u00e9-\u65e5\u672c-\u{1f600} tab\there';
    expect(escapeHeader(value, version)).toBe(value);
  });
});

describe('unescapeHeader', () => {
  it.each([
    ['1.2', 'a\\cb', 'a:b'],
    ['1.2', 'line\\nbreak', 'line\nbreak'],
    ['1.2', 'carriage\\rreturn', 'carriage\rreturn'],
    ['1.2', 'back\\\\slash', 'back\\slash'],
    ['1.2', '\\\\n', '\\n'],
    ['1.2', '\\c\\r\\n\\\\', ':\r\n\\'],
    ['1.1', 'a\\cb', 'a:b'],
    ['1.1', 'line\\nbreak', 'line\nbreak'],
    ['1.1', 'back\\\\slash', 'back\\slash'],
    ['1.0', 'a\\cb', 'a\\cb'],
    ['1.0', 'x\\ty\\', 'x\\ty\\'],
  ] as const)('under %s reads %j as %j', (version, wire, value) => {
    expect(unescapeHeader(wire, version)).toBe(value);
  });

  it.each([
    ['1.2', 'a\\tb', '\\t'],
    ['1.2', 'trailing\\', '\\'],
    ['1.2', '\\C', '\\C'],
    ['1.2', '\\0', '\\0'],
    ['1.1', 'a\\tb', '\\t'],
    ['1.1', 'trailing\\', '\\'],
    ['1.1', 'cr\\r', '\\r'],
  ] as const)('under %s refuses %j: undefined escape %j', (version, wire, sequence) => {
    let thrown: unknown;
    try {
      unescapeHeader(wire, version);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(StompError);
    expect((thrown as StompError).code).toBe('STOMP_ERR_INVALID_ESCAPE');
    expect((thrown as StompError).message).toContain(`"${sequence}"`);
    expect((thrown as StompError).message).toContain(version);
  });

  it('does not take an inherited property for an escape', () => {
    expect(() => unescapeHeader('\\_', '1.2')).toThrow(StompError);
    expect(() => unescapeHeader('x\\constructor', '1.2')).not.toThrow(); // \c then "onstructor"
    expect(unescapeHeader('x\\constructor', '1.2')).toBe('x:onstructor');
  });
});

describe('escaping round trips', () => {
  const values = ['', 'plain', 'a:b:c', 'multi\nline\nvalue', '\\\\', '\\c is not a colon', ':\n\\:', 'caf\u00e9 \u{1f600}'];

  it.each(['1.2', '1.1'] as const)('unescape(escape(v)) is v under %s', (version: StompVersion) => {
    for (const v of values) expect(unescapeHeader(escapeHeader(v, version), version)).toBe(v);
  });

  it('round trips \\r under 1.2', () => {
    expect(unescapeHeader(escapeHeader('a\r\nb\r', '1.2'), '1.2')).toBe('a\r\nb\r');
  });

  it('never writes an EOL under any version', () => {
    for (const version of ['1.2', '1.1', '1.0'] as const) {
      expect(escapeHeader('a\nb', version)).not.toContain('\n');
    }
    expect(escapeHeader('a\rb', '1.2')).not.toContain('\r');
    expect(escapeHeader('a\rb', '1.0')).not.toContain('\r');
  });
});

describe('stripEol', () => {
  it('turns each CR and LF into a space', () => {
    expect(stripEol('a\r\nb\nc\rd')).toBe('a  b c d');
  });

  it('returns a value without EOLs unchanged', () => {
    expect(stripEol('a:b\\c')).toBe('a:b\\c');
  });
});

describe('preConnectHeader', () => {
  it('keeps colons, makes EOLs spaces and doubles backslashes', () => {
    expect(preConnectHeader('Broker relay unavailable: down')).toBe('Broker relay unavailable: down');
    expect(preConnectHeader('a\r\nb')).toBe('a  b');
    expect(preConnectHeader('C:\\q')).toBe('C:\\\\q');
  });

  it('gives back the value to a 1.2 and a 1.1 reader, colons included', () => {
    for (const value of ['x:y', 'C:\\keys\\q', '\\c\\n', 'plain']) {
      expect(unescapeHeader(preConnectHeader(value), '1.2')).toBe(value);
      expect(unescapeHeader(preConnectHeader(value), '1.1')).toBe(value);
    }
  });
});

describe('detached', () => {
  it('returns an equal string for ASCII, non-ASCII and empty values', () => {
    const head = 'SUBSCRIBE\nid:sub-0\ndestination:/topic/ünïcode/日本\n\n';
    const value = head.slice(head.indexOf('destination:') + 12, head.length - 2);
    for (const v of [value, '', 'sub-0', '/topic/a'.repeat(40)]) expect(detached(v)).toBe(v);
  });
});
