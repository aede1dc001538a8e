import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WatermarkGenerator } from '../../../src/stream/time/watermark.ts';
import { WindowOperator, type WindowResult } from '../../../src/stream/time/window-operator.ts';
import { assignWindows } from '../../../src/stream/time/windows.ts';
import { ReferenceOperator } from './reference.ts';
import { aggregatorFor, drive, foldFor, scenarioArb, specArb, stepsArb, type Output } from './streams.ts';

const windowId = (key: string, start: number, end: number) => `${key}[${start},${end})`;

describe('window operator on random out-of-order streams', () => {
  it('should report the same late records and emit, at every watermark, exactly what a brute-force model emits', () => {
    fc.assert(
      fc.property(scenarioArb, stepsArb, (scenario, steps) => {
        const reference = new ReferenceOperator(scenario.spec, scenario.allowedLatenessMs, foldFor(scenario.aggregator));
        const { final } = drive(scenario, steps, {
          onRecord: (key, timestamp, value, outcome) => expect(outcome).toBe(reference.process(key, timestamp, value)),
          onWatermark: (watermark, emitted) => expect(emitted).toEqual(reference.advance(watermark)),
        });
        expect(final.operator.stats()).toEqual({ keys: 0, windows: 0, timers: 0 });
      }),
      { numRuns: 300 },
    );
  });

  it('should give every tumbling and sliding window one final result, the fold of the records accepted while it was open', () => {
    const fixedScenario = scenarioArb.filter((s) => s.spec.kind !== 'session');
    fc.assert(
      fc.property(fixedScenario, stepsArb, (scenario, steps) => {
        const { trace } = drive(scenario, steps);
        const fold = foldFor(scenario.aggregator);
        // Brute force, after the fact: a record goes into each of its windows that was still open
        // (end + lateness above the watermark) when it arrived, and is late when none was.
        const expected = new Map<string, number[]>();
        for (const output of trace) {
          if (!('record' in output)) continue;
          const { key, timestamp, value, watermark, outcome } = output.record;
          const open = assignWindows(scenario.spec, timestamp).filter((w) => w.end + scenario.allowedLatenessMs > watermark);
          expect(outcome).toBe(open.length === 0 ? 'late' : 'accepted');
          for (const w of open) expected.set(windowId(key, w.start, w.end), [...(expected.get(windowId(key, w.start, w.end)) ?? []), value]);
        }
        const finals = new Map<string, number | undefined>();
        for (const result of emissions(trace).filter((r) => r.final)) {
          const id = windowId(result.key, result.window.start, result.window.end);
          expect(finals.has(id), `${id} is final twice`).toBe(false);
          finals.set(id, result.result);
        }
        expect(finals).toEqual(new Map([...expected].map(([id, values]) => [id, fold(values)])));
      }),
    );
  });

  it('should close every emitted window exactly once, by a final emission or by being superseded, and emit nothing for it afterwards', () => {
    fc.assert(
      fc.property(scenarioArb, stepsArb, (scenario, steps) => {
        const closed = new Set<string>();
        const pending = new Set<string>();
        for (const result of emissions(drive(scenario, steps).trace)) {
          const id = windowId(result.key, result.window.start, result.window.end);
          expect(closed.has(id), `${id} emitted after it closed`).toBe(false);
          for (const old of result.supersedes) {
            const oldId = windowId(result.key, old.start, old.end);
            expect(pending.delete(oldId), `${oldId} superseded without being open`).toBe(true);
            closed.add(oldId);
          }
          if (result.final) {
            pending.delete(id);
            closed.add(id);
          } else {
            pending.add(id);
          }
        }
        expect([...pending]).toEqual([]);
      }),
    );
  });

  it('should continue identically after its state is snapshotted, sent through JSON and restored at any point', () => {
    fc.assert(
      fc.property(scenarioArb, stepsArb, fc.nat(), (scenario, steps, at) => {
        const split = at % (steps.length + 1);
        const whole = drive(scenario, steps).trace;
        const resumed = drive(scenario, steps, {
          before: (index, { generator, operator }) => {
            if (index !== split) return undefined;
            const checkpoint = JSON.parse(JSON.stringify({ watermark: generator.snapshot(), operator: operator.snapshot() })) as Record<string, unknown>;
            return {
              generator: WatermarkGenerator.restore(checkpoint.watermark, scenario.watermark),
              operator: WindowOperator.restore(checkpoint.operator, scenario.spec, aggregatorFor(scenario.aggregator), {
                allowedLatenessMs: scenario.allowedLatenessMs,
              }),
            };
          },
        }).trace;
        expect(resumed).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('should assign every timestamp to windows that contain it, tumbling to one and sliding to about size / slide', () => {
    fc.assert(
      fc.property(specArb, fc.integer({ min: -1_000_000, max: 1_000_000 }), (spec, t) => {
        const windows = assignWindows(spec, t);
        for (const w of windows) expect(w.start <= t && t < w.end).toBe(true);
        if (spec.kind === 'tumbling') expect(windows).toHaveLength(1);
        if (spec.kind === 'sliding') {
          expect(windows.length).toBeGreaterThanOrEqual(Math.floor(spec.sizeMs / spec.slideMs));
          expect(windows.length).toBeLessThanOrEqual(Math.ceil(spec.sizeMs / spec.slideMs));
          for (const w of windows) expect(w.start % spec.slideMs === 0 && w.end - w.start === spec.sizeMs).toBe(true);
        }
        if (spec.kind === 'session') expect(windows).toEqual([{ start: t, end: t + spec.gapMs }]);
      }),
    );
  });
});

function emissions(trace: readonly Output[]): WindowResult<number | undefined>[] {
  return trace.flatMap((output) => ('emitted' in output ? output.emitted : []));
}
