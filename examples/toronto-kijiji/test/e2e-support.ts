/**
 * What the end-to-end tests of the example share: the settings that make a run short, the brute-force
 * computations over the log they compare the views with, and reads of the lake's tables and runs.
 */
import path from 'node:path';
import type { Listing } from '../../../src/sources/scraper/listing.ts';
import { cli } from '../../../test/support/cli.ts';

export { batchRuns, createCatalog, tableRows } from '../../../test/support/lake-tables.ts';

export const EXAMPLE = path.resolve(import.meta.dirname, '..');

/** Scrape every second, re-price often, and run every batch job every 3 s instead of daily. */
export const FAST = { KIJIJI_SCRAPE_EVERY_MS: '1000', KIJIJI_REPRICE_EVERY_MS: '1500', TORONTO_KIJIJI_BATCH_EVERY_MS: '3000' };

export interface LogRecord {
  partition: number;
  offset: number;
  value: Listing;
}

/** Every record of `kijiji.listings`, read with `tributary tail` (through dev's API while it runs). */
export async function readListings(cwd: string, env: Record<string, string> = {}): Promise<LogRecord[]> {
  const tail = await cli(['tail', env.KIJIJI_TOPIC ?? 'kijiji.listings', '--from', 'earliest', '-n', '1000000', '--no-follow'], { cwd, env });
  if (tail.code !== 0) throw new Error(`tail failed: ${tail.stderr}`);
  return tail.stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LogRecord);
}

/** Per area, by brute force over the log: distinct ads first seen, and re-pricings. */
export function perAreaFromLog(records: readonly LogRecord[]): Map<string, { listings: number; price_changes: number }> {
  const ads = new Map<string, Set<string>>();
  const changes = new Map<string, number>();
  for (const { value } of records) {
    const area = value.location ?? '(unknown)';
    if (value.change === 'new') (ads.get(area) ?? ads.set(area, new Set()).get(area)!).add(value.id);
    else changes.set(area, (changes.get(area) ?? 0) + 1);
  }
  const areas = new Set([...ads.keys(), ...changes.keys()]);
  return new Map([...areas].map((area) => [area, { listings: ads.get(area)?.size ?? 0, price_changes: changes.get(area) ?? 0 }]));
}

/** The last version of each ad with a fixed rent, by brute force over the log (records of one ad share a partition, in order). */
export function currentFromLog(records: readonly LogRecord[]): Map<string, number> {
  const last = new Map<string, Listing>();
  for (const { value } of [...records].sort((a, b) => a.offset - b.offset)) last.set(value.id, value);
  return new Map([...last].filter(([, l]) => l.priceKind === 'fixed' && l.priceCents !== null).map(([id, l]) => [id, l.priceCents!]));
}

/** `in`, `out`, `filtered`, `deadLettered` of a stream job from dev's last status lines. */
export function jobCounts(stdout: string, job: string): { in: number; out: number; filtered: number; deadLettered: number } {
  const lines = [...stdout.matchAll(new RegExp(`stream-job toronto-kijiji/${job} \\[stopped\\]: in ([\\d,]+), out ([\\d,]+), filtered ([\\d,]+), deadLettered ([\\d,]+)`, 'g'))];
  const match = lines.at(-1);
  if (!match) throw new Error(`no final status line of ${job} in:\n${stdout}`);
  const [i, o, f, d] = match.slice(1).map((n) => Number(n.replaceAll(',', '')));
  return { in: i!, out: o!, filtered: f!, deadLettered: d! };
}

/** The scraper's emitted and rejected counts from dev's last status line. */
export function scrapeCounts(stdout: string): { emitted: number; rejected: number; polls: number } {
  const match = [...stdout.matchAll(/source toronto-kijiji\/kijiji-scrape \([^)]*\) \[stopped\]: polls ([\d,]+), emitted ([\d,]+), skipped [\d,]+, rejected ([\d,]+)/g)].at(-1);
  if (!match) throw new Error(`no final status line of kijiji-scrape in:\n${stdout}`);
  const [polls, emitted, rejected] = match.slice(1).map((n) => Number(n.replaceAll(',', '')));
  return { polls: polls!, emitted: emitted!, rejected: rejected! };
}
