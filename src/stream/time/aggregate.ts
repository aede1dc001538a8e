/**
 * Aggregators: how a window folds its records into one result, incrementally, so a window keeps one
 * accumulator rather than its records.
 *
 * Lifecycle, as the window operator drives it: `create()` once per window, `add` per accepted
 * record, `merge` when session windows join (and never otherwise), `result` each time the window
 * fires. The operator keeps whatever `add` and `merge` return, so they may either return a new
 * value or change `acc` in place and return it; `result` must not change `acc`.
 *
 * Accumulators are checkpointed: they must survive `JSON.parse(JSON.stringify(acc))` unchanged in
 * meaning — plain numbers, strings, booleans, null, arrays and plain objects. A `Map`, a `Set`, a
 * `Date`, a `bigint`, `NaN`, `Infinity` or a class instance would come back as something else (or
 * make the checkpoint fail), so keep such things out of accumulators and turn them into plain data
 * in `result` if needed. `undefined` is allowed at the top level only (it is how `reduce` says
 * "no value yet").
 *
 * For results that do not depend on arrival order (which a stream with late data needs), `add`
 * and `merge` should be commutative and associative, as counts, sums, minima and maxima are.
 */

export interface Aggregator<V, A, R> {
  create(): A;
  add(acc: A, value: V): A;
  merge(a: A, b: A): A;
  result(acc: A): R;
}

/** The number of records in the window. */
export function count<V = unknown>(): Aggregator<V, number, number> {
  return {
    create: () => 0,
    add: (acc) => acc + 1,
    merge: (a, b) => a + b,
    result: (acc) => acc,
  };
}

/**
 * Folds the window's values with `fn` (a sum is `reduce((a, b) => a + b)`); `undefined` until the
 * first value, which a window that fires never is. `fn` should be commutative and associative, and
 * the values JSON-serialisable, since a value is the accumulator.
 */
export function reduce<V>(fn: (a: V, b: V) => V): Aggregator<V, V | undefined, V | undefined> {
  return {
    create: () => undefined,
    add: (acc, value) => (acc === undefined ? value : fn(acc, value)),
    merge: (a, b) => (a === undefined ? b : b === undefined ? a : fn(a, b)),
    result: (acc) => acc,
  };
}

/** An aggregator from its four functions, e.g. an average kept as `{ sum, n }`. */
export function aggregate<V, A, R>(
  create: () => A,
  add: (acc: A, value: V) => A,
  merge: (a: A, b: A) => A,
  result: (acc: A) => R,
): Aggregator<V, A, R> {
  return { create, add, merge, result };
}
