import { negotiateHeartBeat, parseHeartBeat } from '../../broker/stomp/heartbeat';

describe('heart-beat header (STOMP 1.2 §Heart-beating)', () => {
  it.each([
    [undefined, [0, 0]],
    ['0,0', [0, 0]],
    ['10000,5000', [10000, 5000]],
    [' 10 , 20 ', [10, 20]],
    ['999999999,1', [999999999, 1]],
  ])('parses %p as %p', (value, expected) => {
    expect(parseHeartBeat(value)).toEqual(expected);
  });

  it.each(['', '10', '10,', ',10', '-1,0', '1.5,0', 'a,b', '1000000000,0', '1,2,3'])('refuses %p', (value) => {
    expect(parseHeartBeat(value)).toBeUndefined();
  });

  it('runs each direction at the larger of what the writer can do and the reader wants', () => {
    expect(negotiateHeartBeat([10000, 10000], [5000, 20000])).toEqual({ send: 20000, receive: 10000 });
    expect(negotiateHeartBeat([100, 0], [0, 50])).toEqual({ send: 100, receive: 0 });
  });

  it('turns a direction off when either side says 0 for it', () => {
    expect(negotiateHeartBeat([0, 10000], [10000, 10000])).toEqual({ send: 0, receive: 10000 });
    expect(negotiateHeartBeat([10000, 10000], [10000, 0])).toEqual({ send: 0, receive: 10000 });
    expect(negotiateHeartBeat([10000, 10000], [0, 0])).toEqual({ send: 0, receive: 0 });
  });

  it('is symmetric: what one side sends the other receives', () => {
    const a = [30, 70] as const;
    const b = [50, 20] as const;
    expect(negotiateHeartBeat(a, b).send).toBe(negotiateHeartBeat(b, a).receive);
    expect(negotiateHeartBeat(a, b).receive).toBe(negotiateHeartBeat(b, a).send);
  });
});
