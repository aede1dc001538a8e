/**
 * A keyed window join: records of several sides (one topic each, or one topic of tagged records)
 * that share a key and fall in the same event-time window are joined when the window fires.
 *
 * It is an aggregator (aggregate.ts) over tagged values `{ side, value }`, so the window operator
 * gives it everything a windowed job has: event time and watermarks, allowed lateness, checkpoints,
 * repartitioning by key across workers. The window decides what "together" means:
 * - `session(gapMs)` is an interval join: the records of a key at most `gapMs` apart in event time
 *   are one group, wherever the tumbling boundaries would fall;
 * - `tumbling(sizeMs)` or `sliding(...)` is a window join in the strict sense.
 *
 * Glossary:
 * - side: one input of the join, by name (`pin`, `geo`, `user`);
 * - primary side: the side whose records the join emits rows for, one per combination with the
 *   others' records (a cross product within the window; usually one record each);
 * - missing side: a side with no record in the window when it fires. `inner` emits no row for the
 *   window's primary records; `left` emits them with `null` for that side. Either way the result
 *   counts them in `unmatched`;
 * - identity (optional): records of a side with the same identity are one record (the last wins),
 *   so an input that repeats records after a crash joins each once;
 * - late side: a record that arrives after its window's final emission. The window operator reports
 *   it `late` and the windowed job sends it to `<job>.late`; the join never sees it.
 *
 * State: a window holds its records (not one number, as a count does) until the watermark passes
 * `end + allowedLateness`; then the window operator releases it. Memory is bounded by the records
 * of the windows still open.
 *
 * Counts reconcile per result: `records = Σ sides`, and for the primary side
 * `sides[primary] = matched + unmatched` where `matched` primary records produced rows with every
 * side present.
 */
import { TributaryError } from '../../errors.ts';
import type { Aggregator } from './aggregate.ts';

/** A record of one side of the join, as the join's input carries it. */
export interface JoinInput<S extends Record<string, unknown>, K extends keyof S & string = keyof S & string> {
  readonly side: K;
  readonly value: S[K];
}

/** One joined combination: each side's value, or null for a missing side (left joins only). */
export type JoinedRow<S extends Record<string, unknown>> = { [K in keyof S]: S[K] | null };

export interface JoinResult<S extends Record<string, unknown>> {
  readonly rows: JoinedRow<S>[];
  /** Records per side in the window. */
  readonly sides: { [K in keyof S]: number };
  /** Primary records that met every other side. */
  readonly matched: number;
  /** Primary records that met a window with some side missing. */
  readonly unmatched: number;
}

export interface WindowJoinOptions<S extends Record<string, unknown>> {
  /** Every side's name, in the order rows list them. */
  readonly sides: readonly (keyof S & string)[];
  readonly primary: keyof S & string;
  /** Default `inner`. */
  readonly mode?: 'inner' | 'left';
  /**
   * A record's identity within its side: a record whose identity the window already holds replaces
   * that one instead of joining beside it. With an at-least-once input (a topic a stateless job
   * writes, which repeats what it sent before a crash) this keeps repeats out of the join.
   */
  readonly identity?: (side: keyof S & string, value: S[keyof S]) => string;
}

/** The accumulator: each side's records in arrival order (plain JSON, so it checkpoints). */
export type JoinAccumulator = Record<string, unknown[]>;

/** The join as an aggregator for `windowedJob` (or a `WindowOperator` directly). */
export function windowJoin<S extends Record<string, unknown>>(options: WindowJoinOptions<S>): Aggregator<JoinInput<S>, JoinAccumulator, JoinResult<S>> {
  const sides = [...options.sides];
  const mode = options.mode ?? 'inner';
  if (sides.length < 2) throw new TributaryError('CONFIG_INVALID', `a window join needs at least two sides: got ${sides.length}`);
  if (new Set(sides).size !== sides.length) throw new TributaryError('CONFIG_INVALID', `a window join's sides must be distinct: got ${sides.join(', ')}`);
  if (!sides.includes(options.primary)) throw new TributaryError('CONFIG_INVALID', `the window join's primary side "${options.primary}" is not one of its sides (${sides.join(', ')})`);
  const known = new Set<string>(sides);
  const identity = options.identity;
  const put = (acc: JoinAccumulator, side: keyof S & string, value: S[keyof S]) => {
    const values = acc[side]!;
    const id = identity?.(side, value);
    const same = id === undefined ? -1 : values.findIndex((v) => identity!(side, v as S[keyof S]) === id);
    if (same >= 0) values[same] = value;
    else values.push(value);
  };
  return {
    create: () => Object.fromEntries(sides.map((side) => [side, []])),
    add(acc, input) {
      if (!known.has(input.side)) {
        throw new TributaryError('SCHEMA_VALIDATION', `window join record has side "${String(input.side)}", which is not one of ${sides.join(', ')}`);
      }
      put(acc, input.side, input.value);
      return acc;
    },
    merge(a, b) {
      for (const side of sides) for (const value of b[side]!) put(a, side, value as S[keyof S]);
      return a;
    },
    result(acc) {
      const counts = Object.fromEntries(sides.map((side) => [side, acc[side]!.length])) as { [K in keyof S]: number };
      const primaries = acc[options.primary]!;
      const complete = sides.every((side) => acc[side]!.length > 0);
      const rows: JoinedRow<S>[] = [];
      if (complete || mode === 'left') {
        let combos: Record<string, unknown>[] = primaries.map((value) => ({ [options.primary]: value }));
        for (const side of sides) {
          if (side === options.primary) continue;
          const values = acc[side]!.length > 0 ? acc[side]! : [null];
          combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [side]: value })));
        }
        for (const combo of combos) rows.push(Object.fromEntries(sides.map((side) => [side, combo[side] ?? null])) as JoinedRow<S>);
      }
      return { rows, sides: counts, matched: complete ? primaries.length : 0, unmatched: complete ? 0 : primaries.length };
    },
  };
}
