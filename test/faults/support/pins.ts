/**
 * Pins for the fault scenarios: the Pinterest example's sample with a fresh `unique_id` each, and what
 * the example's stream job must make of a set of raw pins (its own cleaning function, applied here by
 * brute force), so a sink can be checked against the log.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cleanPin } from '../../../examples/pinterest/clean-pin.ts';
import type { RenderedRecord } from '../../../src/serve/api/log-view.ts';

export const PINTEREST_DIR = path.resolve(import.meta.dirname, '../../../examples/pinterest');

const sample = readFileSync(path.join(PINTEREST_DIR, 'data/pins.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Record<string, unknown>);

/** `n` raw pins, each with a unique id, drawn from the sample by `random`. */
export function makePins(n: number, random: () => number): Record<string, unknown>[] {
  return Array.from({ length: n }, () => ({ ...sample[Math.floor(random() * sample.length)]!, unique_id: randomUUID() }));
}

/** The ids the stream job keeps of these raw pins: those that clean to a pin with an id. */
export function expectedIds(raw: readonly unknown[]): string[] {
  return raw.flatMap((value) => {
    const pin = cleanPin(value);
    return pin?.unique_id ? [pin.unique_id] : [];
  });
}

/** Ids that occur more than once. */
export function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  return [...new Set(ids.filter((id) => seen.has(id) || (seen.add(id), false)))];
}

/** Every record of a topic, read page by page through a running process's local API. */
export async function readTopic(url: string, topic: string): Promise<RenderedRecord[]> {
  const records: RenderedRecord[] = [];
  let offsets = '';
  for (;;) {
    const response = await fetch(`${url}/api/topics/${encodeURIComponent(topic)}/records?from=earliest&max=10000${offsets ? `&offsets=${offsets}` : ''}`);
    if (!response.ok) throw new Error(`reading ${topic}: ${response.status} ${await response.text()}`);
    const page = (await response.json()) as { records: RenderedRecord[]; next: Record<string, number>; atEnd: boolean };
    records.push(...page.records);
    offsets = Object.entries(page.next).map(([p, o]) => `${p}:${o}`).join(',');
    if (page.atEnd || page.records.length === 0) return records;
  }
}
