import { looksLikeStomp, sniff, SNIFF_BYTES } from '../../../broker/transport/tcp/wrong-port';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('sniff', () => {
  it.each(['GET / HTTP/1.1', 'POST /publish', 'PUT /x', 'HEAD / ', 'DELETE /', 'OPTIONS *', 'PATCH /', 'TRACE /', 'CONNECT host:443'])('takes %p for HTTP', (line) => {
    expect(sniff(b(line))).toBe('http');
  });

  it.each(['CONNECT\n', 'CONNECT\r\n', 'STOMP\n', '\n', '\r\n', 'SEND\n', 'G\n', '\x16\x03\x01', 'get / HTTP/1.1'])('takes %p for STOMP (or not HTTP)', (head) => {
    expect(sniff(b(head))).toBe('stomp');
  });

  it.each(['G', 'GE', 'GET', 'P', 'PO', 'CONN', 'CONNECT', 'OPTIONS'])('waits on %p, a prefix of a request line', (head) => {
    expect(sniff(b(head))).toBe('undecided');
  });

  it('always decides by SNIFF_BYTES bytes', () => {
    for (const start of ['OPTIONS!', 'CONNECTX', 'GETTING!', 'POSTMAN!']) expect(sniff(b(start).subarray(0, SNIFF_BYTES))).not.toBe('undecided');
  });
});

describe('looksLikeStomp', () => {
  it('recognises a STOMP client command line, and nothing else', () => {
    expect(looksLikeStomp(b('CONNECT\naccept-version:1.2\n\n\0'))).toBe(true);
    expect(looksLikeStomp(b('STOMP\r\n\r\n\0'))).toBe(true);
    expect(looksLikeStomp(b('CONNECT example.com:443 HTTP/1.1\r\n'))).toBe(false);
    expect(looksLikeStomp(b('BREW / HTCPCP/1.0\r\n'))).toBe(false);
    expect(looksLikeStomp(undefined)).toBe(false);
  });
});
