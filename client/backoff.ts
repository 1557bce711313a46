import type { ReconnectOptions } from './options';

/**
 * The delay before reconnect attempt `failures + 1`: exponential backoff, capped, spread by
 * jitter so that many clients dropped by one server restart do not return in lock-step.
 * `random` is injectable for tests.
 */
export function backoffDelay(failures: number, policy: Required<ReconnectOptions>, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelay, policy.initialDelay * Math.pow(policy.factor, failures));
  const spread = base * policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(policy.maxDelay, base + spread)));
}
