/**
 * The record-level part of a stream job: a typed chain of filter, map and flatMap steps over the
 * values of one topic, checked against the topic's schema first. The same chain runs in the stream
 * job and, over lake files, in the batch job, so the two layers cannot disagree.
 *
 * Each input record ends in exactly one of three ways, counted per step:
 * - out: it produced one or more values (a flatMap may turn one record into several);
 * - filtered: a filter said no, or a map or flatMap returned null or an empty array;
 * - dead-lettered: it did not fit the schema, or a step threw. The error, the step and the record's
 *   origin go with it to the job's dead-letter topic.
 */
import type { z } from 'zod';
import { TributaryError } from '../errors.ts';
import { jsonCodec, validate } from '../log/codec.ts';

/** Where a record came from, passed to every step. */
export interface RecordContext {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
}

type Step = { kind: 'filter' | 'map' | 'flatMap'; name: string; fn: (value: unknown, ctx: RecordContext) => unknown };

export interface StepCounts {
  in: number;
  out: number;
  filtered: number;
  deadLettered: number;
}

export type Outcome<T> =
  | { kind: 'out'; values: T[] }
  | { kind: 'filtered'; step: string }
  | { kind: 'dead-letter'; step: string; error: Error };

/** A chain of steps producing values of type T. Immutable: each call returns a new pipeline. */
export class Pipeline<T> {
  readonly topic: string;
  private readonly schema: z.ZodType | undefined;
  private readonly steps: readonly Step[];

  private constructor(topic: string, schema: z.ZodType | undefined, steps: readonly Step[]) {
    this.topic = topic;
    this.schema = schema;
    this.steps = steps;
  }

  /** Records of `topic`, JSON values checked against `schema`. */
  static from<S extends z.ZodType>(topic: string, schema: S): Pipeline<z.output<S>> {
    return new Pipeline<z.output<S>>(topic, schema, []);
  }

  filter(predicate: (value: T, ctx: RecordContext) => boolean, name = `filter#${this.steps.length + 1}`): Pipeline<T> {
    return this.with({ kind: 'filter', name, fn: predicate as Step['fn'] });
  }

  /** A record-level transform: a value, or null to drop the record. */
  map<O>(fn: (value: T, ctx: RecordContext) => O | null, name = `map#${this.steps.length + 1}`): Pipeline<O> {
    return this.with({ kind: 'map', name, fn: fn as Step['fn'] });
  }

  /** A record-level transform to any number of values (none drops the record). */
  flatMap<O>(fn: (value: T, ctx: RecordContext) => readonly O[] | null, name = `flatMap#${this.steps.length + 1}`): Pipeline<O> {
    return this.with({ kind: 'flatMap', name, fn: fn as Step['fn'] });
  }

  private with<O>(step: Step): Pipeline<O> {
    return new Pipeline<O>(this.topic, this.schema, [...this.steps, step]);
  }

  /** Step names in order, starting with the schema check. */
  get stepNames(): string[] {
    return ['schema', ...this.steps.map((s) => s.name)];
  }

  /**
   * Run one record through the chain. `counts` (one entry per step name, created on first use) is
   * updated so that, per step, in = out + filtered + deadLettered.
   */
  run(value: Buffer | null, ctx: RecordContext, counts: Map<string, StepCounts>): Outcome<T> {
    const schemaCount = counter(counts, 'schema');
    schemaCount.in++;
    let current: unknown;
    try {
      current = this.decode(value);
    } catch (error) {
      schemaCount.deadLettered++;
      return { kind: 'dead-letter', step: 'schema', error: error as Error };
    }
    schemaCount.out++;
    // One value at a time until a flatMap makes several: the usual chain allocates no arrays.
    let values: unknown[] | undefined;
    const steps = this.steps;
    for (let s = 0; s < steps.length; s++) {
      const step = steps[s]!;
      const c = counter(counts, step.name);
      if (values !== undefined) {
        const outcome = runMany(step, c, values, ctx);
        if (!Array.isArray(outcome)) return outcome;
        values = outcome;
        continue;
      }
      c.in++;
      let result: unknown;
      try {
        result = step.fn(current, ctx);
      } catch (error) {
        c.deadLettered++;
        return deadLettered(step, error);
      }
      if (step.kind === 'filter' ? !result : step.kind === 'map' ? result === null || result === undefined : !Array.isArray(result) || result.length === 0) {
        c.filtered++;
        return { kind: 'filtered', step: step.name };
      }
      c.out++;
      if (step.kind === 'map') current = result;
      else if (step.kind === 'flatMap') values = [...(result as unknown[])];
    }
    return { kind: 'out', values: (values ?? [current]) as T[] };
  }

  private decode(value: Buffer | null): unknown {
    if (value === null) throw new TributaryError('SCHEMA_VALIDATION', `record of topic ${this.topic} has no value`);
    const parsed = json.decode(value, this.topic);
    return this.schema ? validate(this.schema, parsed, this.topic) : parsed;
  }
}

/** Schema-less: the step's schema checks the parsed value. */
const json = jsonCodec();

function counter(counts: Map<string, StepCounts>, name: string): StepCounts {
  let c = counts.get(name);
  if (!c) counts.set(name, (c = { in: 0, out: 0, filtered: 0, deadLettered: 0 }));
  return c;
}

function deadLettered(step: Step, error: unknown): Outcome<never> {
  return { kind: 'dead-letter', step: step.name, error: error instanceof Error ? error : new Error(String(error)) };
}

/** One step over several values (after a flatMap): the values that come out, or how the record ended. */
function runMany(step: Step, c: StepCounts, values: readonly unknown[], ctx: RecordContext): unknown[] | Outcome<never> {
  const next: unknown[] = [];
  for (const v of values) {
    c.in++;
    const before = next.length;
    let result: unknown;
    try {
      result = step.fn(v, ctx);
    } catch (error) {
      c.deadLettered++;
      return deadLettered(step, error);
    }
    if (step.kind === 'filter') {
      if (result) next.push(v);
    } else if (step.kind === 'map') {
      if (result !== null && result !== undefined) next.push(result);
    } else if (Array.isArray(result)) {
      next.push(...(result as unknown[]));
    }
    if (next.length > before) c.out++;
    else c.filtered++;
  }
  return next.length > 0 ? next : { kind: 'filtered', step: step.name };
}
