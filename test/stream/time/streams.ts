/**
 * Random out-of-order streams for the property tests, and a driver that plays one through a
 * watermark generator and a window operator the way the stream job runner will: record by record,
 * asking the generator for a watermark now and then, with processing time moving forward.
 */
import fc from 'fast-check';
import { count, reduce, type Aggregator } from '../../../src/stream/time/aggregate.ts';
import { WatermarkGenerator, type WatermarkOptions } from '../../../src/stream/time/watermark.ts';
import { WindowOperator, type WindowResult } from '../../../src/stream/time/window-operator.ts';
import { session, sliding, tumbling, type WindowSpec } from '../../../src/stream/time/windows.ts';
import type { Timer } from '../../../src/stream/time/timers.ts';

export type Step =
  /** Event time moves on by `tick`, and the record lands `jitter` from there (mostly behind). */
  | { type: 'record'; partition: number; key: string; tick: number; jitter: number; value: number; wait: number }
  | { type: 'watermark'; wait: number }
  | { type: 'timer'; key: string; inMs: number; tag: string }
  | { type: 'fire-timers'; wait: number };

export interface Scenario {
  spec: WindowSpec;
  aggregator: 'count' | 'sum';
  allowedLatenessMs: number;
  watermark: Required<WatermarkOptions>;
}

export const specArb: fc.Arbitrary<WindowSpec> = fc.oneof(
  fc.integer({ min: 1, max: 30 }).map((size) => tumbling(size)),
  fc.integer({ min: 1, max: 30 }).chain((size) => fc.integer({ min: 1, max: size }).map((slide) => sliding(size, slide))),
  fc.integer({ min: 1, max: 20 }).map((gap) => session(gap)),
);

export const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  spec: specArb,
  aggregator: fc.constantFrom('count' as const, 'sum' as const),
  allowedLatenessMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60 })),
  watermark: fc.record({ maxOutOfOrdernessMs: fc.integer({ min: 0, max: 30 }), idleTimeoutMs: fc.integer({ min: 10, max: 120 }) }),
});

const key = fc.constantFrom('a', 'b', 'c');

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      type: fc.constant('record' as const),
      // Partition 2 is rarely chosen, so it often goes idle and then wakes up behind the others.
      partition: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(0, 1) }, { weight: 1, arbitrary: fc.constant(2) }),
      key,
      tick: fc.integer({ min: 0, max: 12 }),
      jitter: fc.oneof(fc.integer({ min: -10, max: 5 }), fc.integer({ min: -80, max: 0 })),
      value: fc.integer({ min: -5, max: 20 }),
      wait: fc.integer({ min: 0, max: 15 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('watermark' as const), wait: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('timer' as const), key, inMs: fc.integer({ min: 0, max: 60 }), tag: fc.constantFrom('flush', 'expire') }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('fire-timers' as const), wait: fc.integer({ min: 0, max: 30 }) }) },
);

export const stepsArb = fc.array(stepArb, { minLength: 1, maxLength: 120, size: 'max' });

export function aggregatorFor(name: Scenario['aggregator']): Aggregator<number, number | undefined, number | undefined> {
  return name === 'count' ? count<number>() : reduce<number>((a, b) => a + b);
}

export function foldFor(name: Scenario['aggregator']): (values: readonly number[]) => number {
  return name === 'count' ? (values) => values.length : (values) => values.reduce((a, b) => a + b, 0);
}

/** What one step produced; a run's trace is the list of these. */
export type Output =
  | { record: { key: string; timestamp: number; value: number; watermark: number; outcome: 'accepted' | 'late' } }
  | { emitted: WindowResult<number | undefined>[] }
  | { timers: Timer[] };

export interface Hooks {
  /** Called before step `index`; may return replacements for the generator and operator. */
  before?(index: number, state: Driven): Driven | undefined;
  onRecord?(key: string, timestamp: number, value: number, outcome: 'accepted' | 'late'): void;
  onWatermark?(watermark: number, emitted: WindowResult<number | undefined>[]): void;
}

export interface Driven {
  generator: WatermarkGenerator;
  operator: WindowOperator<number, number | undefined, number | undefined>;
}

/**
 * Plays `steps` and returns the trace; at the end the watermark goes to +Infinity (end of input) and
 * every timer fires. Event and processing time are derived from the steps alone, so a run is
 * repeatable.
 */
export function drive(scenario: Scenario, steps: readonly Step[], hooks: Hooks = {}): { trace: Output[]; final: Driven } {
  let driven: Driven = {
    generator: new WatermarkGenerator(scenario.watermark),
    operator: new WindowOperator(scenario.spec, aggregatorFor(scenario.aggregator), { allowedLatenessMs: scenario.allowedLatenessMs }),
  };
  for (const partition of [0, 1, 2]) driven.generator.register(partition, 0);
  const trace: Output[] = [];
  const advance = (watermark: number) => {
    const emitted = driven.operator.advanceWatermark(watermark);
    hooks.onWatermark?.(watermark, emitted);
    trace.push({ emitted });
  };
  let eventClock = 0;
  let now = 0;
  steps.forEach((step, index) => {
    driven = hooks.before?.(index, driven) ?? driven;
    switch (step.type) {
      case 'record': {
        now += step.wait;
        eventClock += step.tick;
        const timestamp = eventClock + step.jitter;
        driven.generator.observe(step.partition, timestamp, now);
        const watermark = driven.operator.watermark;
        const outcome = driven.operator.process(step.key, timestamp, step.value);
        hooks.onRecord?.(step.key, timestamp, step.value, outcome);
        trace.push({ record: { key: step.key, timestamp, value: step.value, watermark, outcome } });
        break;
      }
      case 'watermark':
        now += step.wait;
        advance(driven.generator.current(now));
        break;
      case 'timer':
        driven.operator.registerTimer(step.key, now + step.inMs, step.tag);
        break;
      case 'fire-timers':
        now += step.wait;
        trace.push({ timers: driven.operator.fireTimers(now) });
        break;
    }
  });
  advance(Number.POSITIVE_INFINITY);
  trace.push({ timers: driven.operator.fireTimers(Number.POSITIVE_INFINITY) });
  return { trace, final: driven };
}
