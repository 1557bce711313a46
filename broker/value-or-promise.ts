/**
 * The broker's hot paths stay synchronous when every part is (the simple broker, the memory
 * store, a synchronous `authenticate`), and turn asynchronous only where a part returns a
 * promise (Redis, SQLite, an async handler). These two helpers are the one test for "is it a
 * promise" and the one way to continue after a value that may be one.
 */

/** A result that is there now, or later. */
export type ValueOrPromise<T> = T | Promise<T>;

/**
 * True when `value` is a promise or any thenable (what `await` would wait for): a user's
 * `authenticate`, `access` or handler may return a promise of another library. A thenable is
 * typed as a promise; only its `then` may be called on it (or use {@link andThen}).
 */
export function isPromiseLike<T>(value: ValueOrPromise<T>): value is Promise<T> {
  return typeof (value as PromiseLike<T> | null | undefined)?.then === 'function';
}

/**
 * `next(value)` now when `value` is a value; after it settles when it is a promise or a
 * thenable (a rejection passes through). A native promise is chained as it is.
 */
export function andThen<T, R>(value: ValueOrPromise<T>, next: (value: T) => ValueOrPromise<R>): ValueOrPromise<R> {
  if (!isPromiseLike(value)) return next(value);
  return (value instanceof Promise ? value : Promise.resolve(value)).then(next);
}
