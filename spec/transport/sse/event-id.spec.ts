import { Buffer } from 'node:buffer';
import { eventId, positionsOf, stampOf } from '../../../broker/transport/sse/event-id';

describe('SSE event ids', () => {
  it('are the prefix and a counter while the stream has no retained position', () => {
    expect(eventId('abc', 1, new Map())).toBe('abc-1');
    expect(eventId('abc', 36, new Map())).toBe('abc-10');
    expect(positionsOf('abc-10').size).toBe(0);
  });

  it('carry every retained destination\'s offset and epoch, read back from Last-Event-ID', () => {
    const positions = new Map([
      ['/topic/a', { offset: 41, epoch: 'e-1' }],
      ['/user/queue/inbox', { offset: 0, epoch: 'e:2' }],
    ]);
    const id = eventId('p', 7, positions);
    expect(id).toMatch(/^p-7\.[A-Za-z0-9_-]+$/);
    expect(positionsOf(id)).toEqual(positions);
  });

  it('differ from event to event even when no position moved', () => {
    const positions = new Map([['/topic/a', { offset: 1, epoch: 'e' }]]);
    expect(eventId('p', 1, positions)).not.toBe(eventId('p', 2, positions));
  });

  it.each([
    ['not base64 JSON', 'p-1.%%%'],
    ['JSON that is not a list', `p-1.${Buffer.from('{"a":1}').toString('base64url')}`],
    ['a negative offset', `p-1.${Buffer.from('[["/topic/a",-1,"e"]]').toString('base64url')}`],
    ['a fractional offset', `p-1.${Buffer.from('[["/topic/a",1.5,"e"]]').toString('base64url')}`],
    ['an epoch with a line break', `p-1.${Buffer.from('[["/topic/a",1,"e\\nx-injected:1"]]').toString('base64url')}`],
    ['entries of the wrong shape', `p-1.${Buffer.from('[["/topic/a"],[1,2,3],null]').toString('base64url')}`],
  ])('resume nothing from %s', (_, id) => {
    expect(positionsOf(id).size).toBe(0);
  });

  it('read the retention stamp from the last two headers only', () => {
    expect(stampOf([['x-a', '1'], ['x-stream-offset', '12'], ['x-stream-epoch', 'ep']])).toEqual({ offset: 12, epoch: 'ep' });
    expect(stampOf([['x-stream-offset', '12'], ['x-stream-epoch', 'ep'], ['x-a', '1']])).toBeUndefined();
    expect(stampOf([['x-stream-offset', 'twelve'], ['x-stream-epoch', 'ep']])).toBeUndefined();
    expect(stampOf([])).toBeUndefined();
  });
});
