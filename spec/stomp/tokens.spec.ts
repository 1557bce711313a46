import { COMMAND_TOKENS, HEADER_TOKENS, knownToken } from '../../broker/stomp/tokens';

describe('knownToken', () => {
  const head = 'SEND\ndestination:/a\ncontent-length:3\ndestinatioN:x\nid:1\n';

  it('finds a known header name or command inside a longer text', () => {
    expect(knownToken(head, 0, 4, COMMAND_TOKENS)).toBe('SEND');
    expect(knownToken(head, 5, 16, HEADER_TOKENS)).toBe('destination');
    const cl = head.indexOf('content-length');
    expect(knownToken(head, cl, cl + 14, HEADER_TOKENS)).toBe('content-length');
    expect(knownToken(head, head.indexOf('id:'), head.indexOf('id:') + 2, HEADER_TOKENS)).toBe('id');
  });

  it('answers undefined for a name that differs in a letter or in length', () => {
    const at = head.indexOf('destinatioN');
    expect(knownToken(head, at, at + 11, HEADER_TOKENS)).toBeUndefined();
    expect(knownToken(head, 5, 15, HEADER_TOKENS)).toBeUndefined(); // 'destinatio'
    expect(knownToken('send', 0, 4, COMMAND_TOKENS)).toBeUndefined(); // commands are case-sensitive
    expect(knownToken('__proto__', 0, 9, HEADER_TOKENS)).toBeUndefined();
  });
});
