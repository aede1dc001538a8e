/**
 * The example end to end on embedded defaults, as a user runs it: `tributary dev examples/toronto-kijiji`
 * in a child process (scraping every second, batch jobs every 3 s), the other commands beside it, then
 * every count and view checked against a brute-force computation over the log and the generated data.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { QueryResult } from '../../../src/serve/query/view.ts';
import { cli, tempDir } from '../../../test/support/cli.ts';
import { startCliProcess } from '../../../test/support/worker-process.ts';
import { generateEvaluations, WARDS } from '../emulated/evaluations.ts';
import { batchRuns, currentFromLog, EXAMPLE, FAST, jobCounts, perAreaFromLog, readListings, scrapeCounts, tableRows } from './e2e-support.ts';

type Status = { parts: { name: string; kind: string; counts: Record<string, number> }[] };

async function status(cwd: string): Promise<Status | undefined> {
  const file = path.join(cwd, '.tributary', 'dev.json');
  if (!existsSync(file)) return undefined;
  const { url } = JSON.parse(readFileSync(file, 'utf8')) as { url: string };
  const response = await fetch(`${url}/api/status`).catch(() => undefined);
  return response?.ok ? ((await response.json()) as Status) : undefined;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const count = (s: Status | undefined, part: string, counter: string) => s?.parts.find((p) => p.name === part)?.counts[counter] ?? 0;

/** The clean evaluations of the generated CSV per ward and year, by hand: what the rollup must hold. */
function scoresFromCsv(): Map<string, { evaluations: number; mean: number }> {
  const [header, ...lines] = generateEvaluations().csv.trim().split('\n');
  const columns = header!.split(',');
  const at = (cells: string[], name: string) => cells[columns.indexOf(name)]!;
  const groups = new Map<string, number[]>();
  for (const line of lines) {
    const cells = line.split(',');
    if (at(cells, 'RSN') === '' || at(cells, 'SITE_ADDRESS').startsWith('** CREATED IN ERROR') || at(cells, 'NO_OF_AREAS_EVALUATED') === '0') continue;
    const key = `${at(cells, 'WARD')}/${at(cells, 'EVALUATION_COMPLETED_ON').slice(0, 4)}`;
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(Number(at(cells, 'SCORE')));
  }
  return new Map([...groups].map(([key, scores]) => [key, { evaluations: scores.length, mean: Math.round((scores.reduce((n, s) => n + s, 0) / scores.length) * 100) / 100 }]));
}

describe('the toronto-kijiji example on embedded defaults', () => {
  it('should download, clean and roll up the evaluations, scrape only new or re-priced ads, and serve views that match the log', async () => {
    const cwd = await tempDir();
    const dev = startCliProcess(['dev', EXAMPLE, '--port', '0', '--status-ms', '0', '--drain', '60', '--log-level', 'warn'], FAST, cwd);
    await dev.seen(/tributary dev: toronto-kijiji on the embedded log/, 60_000);
    // The per-area rollup has run over some ads, and the scraper has sent more after it: both halves of the view hold something.
    let last: Status | undefined;
    const rolledUpAt = await until('a per-area rollup over some ads', async () => {
      const s = (last = await status(cwd));
      return count(s, 'kijiji-listings-per-area', 'written') > 0 && count(s, 'toronto-scores-by-ward', 'written') > 0 ? count(s, 'kijiji-scrape', 'emitted') : undefined;
    }, 150_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; the parts: ${JSON.stringify(last?.parts.map((p) => [p.name, p.counts]))}\n${dev.output().stderr.slice(-3000)}`);
    });
    await until('re-priced ads after the rollup', async () => (count(await status(cwd), 'kijiji-scrape', 'emitted') >= rolledUpAt + 8 ? true : undefined));
    const beside = await cli(['query', 'rentals-per-area', '--json'], { cwd });
    expect(beside.stderr).toBe('');
    expect((JSON.parse(beside.stdout) as QueryResult).rows.length).toBeGreaterThan(0);
    dev.kill('SIGTERM');
    expect(await dev.exited).toBe(0);
    const stdout = dev.output().stdout;

    // The log: what the scraper emitted is the topic; each ad once as new, then only when its price changed.
    const records = await readListings(cwd);
    const scrape = scrapeCounts(stdout);
    expect(scrape.rejected).toBe(0);
    expect(records.length).toBe(scrape.emitted);
    const versions = records.map((r) => `${r.value.id}/${r.value.priceCents}`);
    const byAd = new Map<string, (number | null)[]>();
    for (const r of [...records].sort((a, b) => a.offset - b.offset)) (byAd.get(r.value.id) ?? byAd.set(r.value.id, []).get(r.value.id)!).push(r.value.priceCents);
    for (const [id, prices] of byAd) for (let i = 1; i < prices.length; i++) expect(prices[i], `ad ${id}`).not.toBe(prices[i - 1]);
    expect(records.filter((r) => r.value.change === 'new').length).toBe(byAd.size);
    expect(records.filter((r) => r.value.change === 'updated').length).toBeGreaterThanOrEqual(8);

    // Each stream job read the whole topic, and its counts reconcile, each counted where it happened.
    const contact = records.filter((r) => r.value.priceKind !== 'fixed').length;
    expect(contact).toBeGreaterThan(0);
    for (const job of ['kijiji-current', 'kijiji-price-history']) {
      const c = jobCounts(stdout, job);
      expect(c.in, job).toBe(records.length);
      expect(c.out + c.filtered + c.deadLettered, job).toBe(c.in);
      expect(c.deadLettered, job).toBe(0);
      expect(c.filtered, job).toBe(job === 'kijiji-current' ? contact : 0);
    }

    // The current listings: the last price of each ad with a rent.
    const current = JSON.parse((await cli(['query', 'kijiji_current_listings', '--pipeline', EXAMPLE, '--param', 'limit=10000', '--json'], { cwd })).stdout) as QueryResult;
    expect(new Map(current.rows.map((r) => [String(r.id), Number(r.price_cents)]))).toEqual(currentFromLog(records));
    const history = JSON.parse((await cli(['query', 'kijiji_price_history', '--pipeline', EXAMPLE, '--param', 'limit=10000', '--json'], { cwd })).stdout) as QueryResult;
    expect(history.rows.map((r) => `${String(r.id)}/${String(r.price_cents)}`).sort()).toEqual([...versions].sort());

    // The merged view equals the brute-force count over the log, with the rollup covering part of it and the live half the rest.
    const view = JSON.parse((await cli(['query', 'rentals-per-area', '--pipeline', EXAMPLE, '--json'], { cwd })).stdout) as QueryResult;
    expect(new Map(view.rows.map((r) => [String(r.area), { listings: Number(r.listings), price_changes: Number(r.price_changes) }]))).toEqual(perAreaFromLog(records));
    const batchCovered = Object.values(view.asOf.batch.offsets).reduce((n, t) => n + t, 0);
    if (batchCovered === 0) {
      const rollupRuns = stdout.split('\n').filter((line) => line.includes('kijiji-listings-per-area')).slice(-3).join('\n');
      const rollup = await tableRows(cwd, 'curated', 'kijiji_listings_per_area', 'SELECT count(*)::INTEGER AS n FROM t').catch((e: unknown) => String(e));
      throw new Error(`the view's batch half covers nothing; the rollup's last status lines:\n${rollupRuns}\nits table: ${JSON.stringify(rollup)}`);
    }
    expect(batchCovered).toBeLessThan(records.length);

    // Where the halves overlap they agree: the rollup equals the brute force over the records below its watermark.
    const rollup = await tableRows(cwd, 'curated', 'kijiji_listings_per_area', 'SELECT area, sum(ads)::INTEGER AS listings, sum(reprices)::INTEGER AS price_changes FROM t GROUP BY area');
    const below = records.filter((r) => r.offset < (view.asOf.batch.offsets[String(r.partition)] ?? 0));
    expect(new Map(rollup.map((r) => [String(r.area), { listings: Number(r.listings), price_changes: Number(r.price_changes) }]))).toEqual(perAreaFromLog(below));
    // The processed zone holds the ads as the stream jobs shaped them, record for record.
    const processed = await tableRows(cwd, 'processed', 'kijiji_listings', 'SELECT id, price_cents, change, "partition", "offset" FROM t');
    expect(processed.length).toBeGreaterThanOrEqual(below.length);
    const byPosition = new Map(records.map((r) => [`${r.partition}/${r.offset}`, r.value]));
    for (const row of processed) {
      const listing = byPosition.get(`${String(row.partition)}/${String(row.offset)}`);
      expect({ id: row.id, price: row.price_cents === null ? null : Number(row.price_cents), change: row.change }).toEqual({ id: listing?.id, price: listing?.priceCents, change: listing?.change });
    }

    // Toronto: the generated CSV came through the CKAN emulator, was cleaned with every row accounted for, and rolled up by ward and year.
    const generated = generateEvaluations();
    const [clean] = (await batchRuns(cwd, 'toronto-apartments')).filter((r) => r.status === 'succeeded');
    expect(clean?.counts).toMatchObject({ read: generated.rows, quarantined: generated.quarantined, filtered: generated.filtered, written: generated.rows - generated.quarantined - generated.filtered });
    const scores = await tableRows(cwd, 'curated', 'toronto_scores_by_ward', 'SELECT ward, year, evaluations, mean_score, ward_name FROM t');
    expect(new Map(scores.map((r) => [`${String(r.ward)}/${String(r.year)}`, { evaluations: Number(r.evaluations), mean: Number(r.mean_score) }]))).toEqual(scoresFromCsv());
    for (const row of scores) expect(WARDS.find(([ward]) => ward === row.ward)?.[1]).toBe(row.ward_name);
  }, 300_000);
});
