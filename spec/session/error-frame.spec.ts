import { StompError } from '../../broker/errors';
import { errorFrame, errorHeaders, errorOf } from '../../broker/session/error-frame';
import { encodeFrame } from '../../broker/stomp/encoder';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

describe('errorFrame', () => {
  it('writes message, code and content-type in that order, and the message as the body', () => {
    const { headers, body } = errorFrame(new StompError('STOMP_ERR_MISSING_HEADER', 'SUBSCRIBE needs a "destination" header'));
    expect(text(encodeFrame('ERROR', headers, body, '1.2'))).toBe(
      'ERROR\nmessage:SUBSCRIBE needs a "destination" header\ncode:STOMP_ERR_MISSING_HEADER\ncontent-type:text/plain;charset=UTF-8\n' +
        'content-length:38\n\nSUBSCRIBE needs a "destination" header\0',
    );
  });

  it('adds receipt-id when the failed frame asked for a receipt', () => {
    const { headers } = errorFrame(new StompError('STOMP_ERR_FORBIDDEN', 'no'), 'r-7');
    expect(headers).toEqual([
      ['message', 'no'],
      ['code', 'STOMP_ERR_FORBIDDEN'],
      ['content-type', 'text/plain;charset=UTF-8'],
      ['receipt-id', 'r-7'],
    ]);
  });

  it('names the versions the server speaks when it refuses a CONNECT for its version', () => {
    expect(errorHeaders('STOMP_ERR_UNSUPPORTED_VERSION', 'Supported versions are 1.0, 1.1, 1.2')).toContainEqual(['version', '1.2,1.1,1.0']);
    expect(errorHeaders('STOMP_ERR_FORBIDDEN', 'no').map(([name]) => name)).not.toContain('version');
  });

  it('uses the detail as the body when the error has one', () => {
    expect(text(errorFrame(new StompError('STOMP_ERR_INVALID_SELECTOR', 'Invalid selector', 'at column 3')).body)).toBe('at column 3');
  });

  it('reads code and message back out of the headers it builds', () => {
    expect(errorOf(errorHeaders('STOMP_ERR_RATE_LIMITED', 'too fast'))).toEqual({ code: 'STOMP_ERR_RATE_LIMITED', message: 'too fast' });
    expect(errorOf([])).toEqual({ code: undefined, message: '' });
  });
});
