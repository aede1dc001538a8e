/**
 * The Pinterest posting emulator: the example's stand-in for the scraper that fed the original
 * project's FastAPI endpoint. It posts the 200 sample pins (data/pins.jsonl) to the ingest API at a
 * steady rate, cycling through them with a fresh `unique_id` and `timestamp` each time, so the
 * stream never runs dry.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { runPostingEmulator, TributaryError, type EmulatorTotals, type ServiceDeclaration } from 'tributary';
import { PIN_TOPIC, rawPinSchema, type RawPin } from './pins.ts';

export const SAMPLE_PINS = new URL('./data/pins.jsonl', import.meta.url);

/** Read a JSONL file of pins, checking each against the raw schema. */
export async function loadPins(file: string | URL = SAMPLE_PINS): Promise<RawPin[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TributaryError('CONFIG_INVALID', `cannot read the sample pins at ${String(file)}: ${(error as Error).message}`, { cause: error });
  }
  const pins: RawPin[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const parsed = rawPinSchema.safeParse(JSON.parse(line));
    if (!parsed.success) throw new TributaryError('SCHEMA_VALIDATION', `${String(file)} line ${i + 1} is not a pin: ${parsed.error.issues[0]?.message ?? ''}`);
    pins.push(parsed.data);
  });
  if (pins.length === 0) throw new TributaryError('CONFIG_INVALID', `${String(file)} holds no pins`);
  return pins;
}

export interface PinPosterOptions {
  url: string;
  apiKey?: string;
  /** Pins per second. */
  rate: number;
  records?: number;
  durationMs?: number;
  signal?: AbortSignal;
  /** Most pins in one request; default 500. */
  maxBatch?: number;
  pins?: readonly RawPin[];
  onAccepted?: (pins: readonly RawPin[], totals: EmulatorTotals) => void;
}

/** Post pins until the limit, the duration or the signal. */
export async function postPins(options: PinPosterOptions): Promise<EmulatorTotals> {
  const pins = options.pins ?? (await loadPins());
  return runPostingEmulator<RawPin>({
    url: options.url,
    topic: PIN_TOPIC,
    rate: options.rate,
    record: (i) => ({ ...pins[i % pins.length]!, unique_id: randomUUID(), timestamp: new Date().toISOString() }),
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
    ...(options.records === undefined ? {} : { records: options.records }),
    ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
    ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onAccepted === undefined ? {} : { onAccepted: options.onAccepted }),
  });
}

/** The emulator as a pipeline service: posts `rate` pins a second to this process's ingest API while it runs. */
export function pinPoster(rate: number): ServiceDeclaration {
  return {
    name: 'pin-poster',
    description: `posts ${rate} sample pins a second to POST /ingest/${PIN_TOPIC}`,
    needsServer: true,
    run: async (ctx, signal) => {
      if (!ctx.serverUrl) throw new TributaryError('CONFIG_INVALID', 'the pin poster needs the ingest API: run it in tributary dev');
      await postPins({ url: ctx.serverUrl, rate, signal, ...(ctx.apiKey === undefined ? {} : { apiKey: ctx.apiKey }) });
    },
  };
}
