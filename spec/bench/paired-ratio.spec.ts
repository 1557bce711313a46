/**
 * The benchmark's paired ratio (bench/report.ts): S8's target compares each round's retention
 * run with the S1 run beside it, so a drift of the machine across rounds does not tilt it.
 */
import { pairedRatio, roundRatios, type Measurement } from '../../bench/report';

function measured(label: string, repeats: number[]): Measurement {
  const sorted = [...repeats].sort((a, b) => a - b);
  return { label, peer: 'stompbox', errors: 0, deliveredPerSec: sorted[Math.floor((sorted.length - 1) / 2)], repeats } as Measurement;
}

describe('pairedRatio', () => {
  it('takes the median of the rounds, which a drift shared by both runs cannot move', () => {
    // The machine doubles its speed halfway; each round, b is 10 % faster than a.
    const b = measured('b', [100, 100, 100, 200, 200]);
    const a = measured('a', [90, 90, 90, 180, 180]);
    expect(pairedRatio(a, b, 'delivered/s')).toBeCloseTo(0.9, 10);
    expect(roundRatios(a, b)).toHaveLength(5);
  });

  it('differs from the ratio of the medians when the medians fall in different rounds', () => {
    const e = measured('e', [100, 200, 400]);
    const f = measured('f', [400, 100, 200]);
    // Rounds: 0.25, 2, 2; medians: 200 / 200.
    expect(pairedRatio(e, f, 'delivered/s')).toBeCloseTo(2, 10);
    expect((e.deliveredPerSec ?? 0) / (f.deliveredPerSec ?? 1)).toBeCloseTo(1, 10);
  });

  it('leaves out a failed round, and falls back to the medians without matching repeats', () => {
    const a = measured('a', [90, Number.NaN, 95]);
    const b = measured('b', [100, 100, 100]);
    expect(roundRatios(a, b)).toEqual([0.9, 0.95]);
    const single = { ...measured('s', [80]), repeats: undefined };
    expect(pairedRatio(single, b, 'delivered/s')).toBeCloseTo(0.8, 10);
    expect(pairedRatio(measured('x', [1, 2]), b, 'delivered/s')).toBeCloseTo(0.01, 10);
  });
});
