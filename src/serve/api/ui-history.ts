/**
 * The UI's recent history: every `everyMs` a sample of each part's counts and state and of each
 * consumer group's lag (and, when given, the lake's newest snapshot and the windowed jobs' watermarks), kept in memory (the last `keep` samples) so that a page opened now draws its
 * sparklines from the last minutes at once, and subscribers (the UI's event stream) get each new
 * sample as it is taken.
 *
 * Lifecycle: `startUiHistory(options)` samples at once and then on its timer; `stop()` ends it.
 * A failed lag read (the log briefly unavailable) leaves that sample's lag out; it never throws.
 */
import type { PartStatus } from '../../runtime/supervise.ts';
import { startSampler } from './sampler.ts';

export interface UiSample {
  at: number;
  /** Per part (`PartStatus.name`): its counts, state and restarts at that moment. */
  parts: Record<string, Pick<PartStatus, 'state' | 'restarts' | 'counts' | 'lastError'>>;
  /** Per consumer group: the total lag, when it could be read. */
  lag: Record<string, number>;
  /** The lake's newest snapshot id, when there is a catalog to read. */
  lakeSnapshot?: number;
  /** Per windowed stream job, its event-time watermark (ms since 1970), once it has one. */
  watermarks?: Record<string, number>;
}

export interface UiHistoryOptions {
  parts: () => readonly PartStatus[];
  lag: () => Promise<Record<string, number>>;
  /** The lake's newest snapshot; must not throw (lake-browser.ts `currentSnapshot`). */
  lakeSnapshot?: () => Promise<number | undefined>;
  /** The windowed jobs' watermarks; must not throw. */
  watermarks?: () => Promise<Record<string, number>>;
  everyMs?: number;
  keep?: number;
}

export interface UiHistory {
  samples(): readonly UiSample[];
  subscribe(listener: (sample: UiSample) => void): () => void;
  stop(): void;
}

export function startUiHistory(options: UiHistoryOptions): UiHistory {
  const everyMs = options.everyMs ?? 2000;
  const keep = options.keep ?? 300;
  const samples: UiSample[] = [];
  const sampler = startSampler(everyMs, async () => {
    const parts: UiSample['parts'] = {};
    for (const p of options.parts()) parts[p.name] = { state: p.state, restarts: p.restarts, counts: { ...p.counts }, ...(p.lastError ? { lastError: { ...p.lastError } } : {}) };
    const [lag, lakeSnapshot, watermarks] = await Promise.all([options.lag().catch(() => ({})), options.lakeSnapshot?.(), options.watermarks?.()]);
    if (sampler.stopped) return undefined;
    const sample: UiSample = { at: Date.now(), parts, lag, ...(lakeSnapshot === undefined ? {} : { lakeSnapshot }), ...(watermarks && Object.keys(watermarks).length > 0 ? { watermarks } : {}) };
    samples.push(sample);
    if (samples.length > keep) samples.splice(0, samples.length - keep);
    return sample;
  });
  return { samples: () => samples, subscribe: (listener) => sampler.subscribe(listener), stop: () => sampler.stop() };
}
