/**
 * The Lake and Metrics pages and the graph's watermarks in a real browser (Debian's chromium through
 * playwright-core) against `tributary dev` running the Pinterest example (the watermarks: the
 * Pinterest analytics example, whose join is windowed): a lake table of the example's real pins shows its
 * snapshots, rows, partitions and files, gets a new snapshot that the page shows without a reload,
 * and travels back to the earlier one; the Metrics page charts the process's own metrics with a
 * value that moves as the example posts, and links to the configured Prometheus; the window join's
 * node shows its event-time watermark, moving as pins arrive; the SQL explorer lists and counts a
 * real-time table. Screenshots go to test/ui/screenshots/.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { openLakeTables, tablesSettings } from '../../src/lake/tables/open-tables.ts';
import { EXAMPLES, SCREENSHOTS, launch, openPage, startDev, until, type DevServer } from './browser.ts';

const PROMETHEUS = 'http://127.0.0.1:9090';
let dev: DevServer;
let browser: Browser;

beforeAll(async () => {
  [dev, browser] = await Promise.all([startDev([EXAMPLES.pinterest], { TRIBUTARY_METRICS_PROMETHEUS_URL: PROMETHEUS }), launch()]);
});

afterAll(async () => {
  await browser?.close();
  await dev?.stop();
});

const shot = (name: string) => path.join(SCREENSHOTS, `${name}.png`);
const number = (text: string | null) => Number((text ?? '').replace(/,/g, ''));

async function topicEnd(topic: string): Promise<number> {
  const t = (await (await fetch(`${dev.url}/api/topics/${topic}`)).json()) as { partitions: Array<{ endOffset: number }> };
  return t.partitions.reduce((n, p) => n + p.endOffset, 0);
}

/**
 * Runs `sql` in dev's own lake catalog from this process, as a batch job would: one snapshot. The
 * embedded catalog is one file that one process holds at a time: while dev reads it (its batch job,
 * the Lake page's reads) the attach fails as retryable LAKE_UNAVAILABLE, and is tried again.
 */
async function commit(sql: string): Promise<number> {
  const settings = tablesSettings(configSchema.parse({}), dev.cwd);
  const tables = await until('the catalog free to attach', () =>
    openLakeTables(settings).catch((error: unknown) => {
      if ((error as { code?: string }).code === 'LAKE_UNAVAILABLE') return undefined;
      throw error;
    }), 60_000);
  try {
    return (await tables.transaction((c) => c.run(sql))).snapshot;
  } finally {
    await tables.close();
  }
}

describe('the Lake page', () => {
  it('should show a table of the example\'s pins with its snapshots, partitions, files and rows, a new snapshot live, and time travel', { timeout: 240_000 }, async () => {
    await until('pins posted', async () => (await topicEnd('pinterest.pins')) > 60, 90_000);
    const read = (await (await fetch(`${dev.url}/api/topics/pinterest.pins/records?from=earliest&max=500`)).json()) as { records: Array<{ value: unknown }> };
    const pins = read.records.map((r) => r.value).filter((v): v is { category: string; unique_id: string } => typeof v === 'object' && v !== null && 'category' in v && 'unique_id' in v);
    expect(pins.length).toBeGreaterThan(40);
    const half = Math.floor(pins.length / 2);
    const [early, late] = [pins.slice(0, half), pins.slice(half)];
    const file = (name: string) => path.join(dev.cwd, name);
    await writeFile(file('early.json'), early.map((p) => JSON.stringify({ unique_id: p.unique_id, category: p.category })).join('\n'));
    await writeFile(file('late.json'), late.map((p) => JSON.stringify({ unique_id: p.unique_id, category: p.category })).join('\n'));
    await commit(`CREATE TABLE lake.processed.ui_lake_pins (unique_id VARCHAR, category VARCHAR)`);
    await commit(`ALTER TABLE lake.processed.ui_lake_pins SET PARTITIONED BY (category)`);
    const first = await commit(`INSERT INTO lake.processed.ui_lake_pins SELECT unique_id, category FROM read_json('${file('early.json')}')`);

    const { page, errors } = await openPage(browser, `${dev.url}/#/lake`);
    const row = page.locator('[data-table="processed.ui_lake_pins"]');
    await row.waitFor();
    // Created, partitioned, inserted into: three snapshots, each one commit of this test.
    expect(number(await row.locator('[data-snapshots]').textContent())).toBe(3);
    expect(number(await row.locator('td').nth(1).textContent())).toBe(early.length);
    await page.screenshot({ path: shot('lake') });

    await row.getByRole('link', { name: 'ui_lake_pins' }).click();
    await page.getByLabel('preview').locator('tbody tr').first().waitFor();
    expect(number(await page.locator('[data-rows]').textContent())).toBe(early.length);
    const categories = [...new Set(early.map((p) => p.category))].sort();
    const partitions = (await page.getByLabel('partitions').locator('tbody tr td:first-child').allTextContents()).sort();
    expect(partitions).toEqual(categories.map((c) => `category=${c}`));
    expect(await page.getByLabel('files').locator('tbody tr').count()).toBe(categories.length);
    // Real pins in the preview, each with its own category.
    const byId = new Map(pins.map((p) => [p.unique_id, p.category]));
    const firstRow = await page.getByLabel('preview').locator('tbody tr').first().locator('td').allTextContents();
    expect(early.map((p) => p.unique_id)).toContain(firstRow[0]);
    expect(firstRow[1]).toBe(byId.get(firstRow[0]!));

    // A new snapshot, committed while the page is open, shows up without a reload.
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    const second = await commit(`INSERT INTO lake.processed.ui_lake_pins SELECT unique_id, category FROM read_json('${file('late.json')}')`);
    await until('the new snapshot on the page', async () => number(await page.locator('[data-snapshots]').textContent()) === 4, 60_000);
    await until('the new rows on the page', async () => number(await page.locator('[data-rows]').textContent()) === pins.length);
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await page.locator(`[data-snapshot="${second}"]`).waitFor();
    await page.screenshot({ path: shot('lake-table') });

    // Time travel: the table as the first insert left it.
    await page.getByLabel('snapshot', { exact: true }).selectOption(String(first));
    await until('the earlier snapshot', async () => number(await page.locator('[data-rows]').textContent()) === early.length);
    await page.getByText(`as of snapshot #${first}`).waitFor();
    const previewIds = async () => page.getByLabel('preview').locator('tbody tr td:first-child').allTextContents();
    // The preview reads that snapshot (the table renders the rows in view of at most 100).
    const shown = Math.min(100, early.length);
    await until('the preview of the earlier snapshot', async () => (await page.getByLabel('preview').locator('h2').textContent())?.includes(`snapshot #${first} · ${shown}`));
    expect((await previewIds()).length).toBeGreaterThan(0);
    const lateIds = new Set(late.map((p) => p.unique_id));
    expect((await previewIds()).filter((id) => lateIds.has(id))).toEqual([]);

    // The API behind it: an unknown table is a 404 that names it.
    const missing = await fetch(`${dev.url}/api/ui/lake/processed/no_such_table`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'LAKE_NOT_FOUND', message: 'no table processed.no_such_table in the lake' });
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('the Metrics page', () => {
  it('should chart the process\'s own metrics, move a value as the example posts, and link to Prometheus', { timeout: 180_000 }, async () => {
    const { page, errors } = await openPage(browser, `${dev.url}/#/metrics`);
    const card = page.locator('[data-metric="tributary_log_end_offset"]');
    await card.waitFor({ timeout: 60_000 });
    const latest = async () => number(await card.locator('[data-latest]').textContent());
    const before = await until('a first value', async () => ((await latest()) > 0 ? latest() : undefined), 60_000);
    // The log's end offsets, summed over every topic and partition: at most what the log holds now.
    const total = async () => {
      const { topics } = (await (await fetch(`${dev.url}/api/topics`)).json()) as { topics: Array<{ partitions: Array<{ endOffset: number }> }> };
      return topics.reduce((n, t) => n + t.partitions.reduce((m, p) => m + p.endOffset, 0), 0);
    };
    expect(before).toBeLessThanOrEqual(await total());
    // The next point arrives over the event stream, 5 s later, with the poster's new pins.
    const after = await until('the value to move', async () => ((await latest()) > before ? latest() : undefined), 60_000);
    expect(after).toBeLessThanOrEqual(await total());
    await card.getByRole('img', { name: 'chart of tributary_log_end_offset' }).locator('canvas').waitFor();
    // A counter is drawn as a rate, a histogram as percentiles.
    await page.locator('[data-metric="tributary_ingest_records_total"]').waitFor();
    expect(await page.locator('[data-metric="tributary_ingest_records_total"] [data-latest]').textContent()).toMatch(/\/s$/);
    expect(await page.getByRole('link', { name: 'Open Prometheus ↗' }).getAttribute('href')).toBe(PROMETHEUS);
    expect(await card.getByRole('link', { name: 'in Prometheus ↗' }).getAttribute('href')).toBe(`${PROMETHEUS}/graph?g0.expr=tributary_log_end_offset&g0.tab=0`);
    await page.screenshot({ path: shot('metrics') });
    // The filter narrows the page to one metric.
    await page.getByLabel('filter metrics').fill('tributary_log_end_offset');
    await until('one metric shown', async () => (await page.locator('[data-metric]').count()) === 1);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('the SQL explorer with the real-time views', () => {
  it('should list a stream job\'s table under realtime and count its rows as the serving layer has them', async () => {
    const { page, errors } = await openPage(browser, `${dev.url}/#/sql`);
    await page.getByLabel('tables').getByRole('button', { name: 'realtime.pinterest_pins' }).waitFor({ timeout: 60_000 });
    const served = async () => ((await (await fetch(`${dev.url}/query/pinterest_pins?limit=10000`)).json()) as { rows: unknown[] }).rows.length;
    await until('pins in the real-time table', async () => (await served()) > 0, 60_000);
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('SELECT count(*) AS pins, count(DISTINCT category) AS categories FROM realtime.pinterest_pins');
    await page.keyboard.press('Escape');
    const before = await served();
    await page.getByRole('button', { name: 'Run' }).click();
    const cells = page.getByLabel('results').locator('tbody tr').first().locator('td');
    await cells.first().waitFor();
    const after = await served();
    const pins = number(await cells.first().textContent());
    // The copy is taken between the two reads of the serving layer, which only grows.
    expect(pins).toBeGreaterThanOrEqual(before);
    expect(pins).toBeLessThanOrEqual(after);
    expect(number(await cells.nth(1).textContent())).toBeGreaterThan(0);
    await page.screenshot({ path: shot('sql-realtime') });
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('the pipeline graph with a windowed job', () => {
  it('should show the join\'s event-time watermark on its node and in its detail, moving as pins arrive', { timeout: 240_000 }, async () => {
    const analytics = await startDev([path.resolve(EXAMPLES.pinterest, '../pinterest-analytics')], { PINTEREST_ANALYTICS_RATE: '20' });
    try {
      const { page, errors } = await openPage(browser, `${analytics.url}/#/graph`);
      const node = page.locator('[data-node="job:pinterest-analytics-join"]');
      await node.waitFor({ timeout: 60_000 });
      const mark = node.locator('[data-watermark]');
      const first = Number(await until('a watermark on the join', async () => ((await mark.count()) > 0 ? mark.getAttribute('data-watermark') : undefined), 120_000));
      // An event time the emulator gave a pin: in the past, and not long ago.
      expect(first).toBeLessThanOrEqual(Date.now());
      expect(first).toBeGreaterThan(Date.now() - 3_600_000);
      expect(await mark.textContent()).toContain(`watermark ${new Date(first).toISOString().slice(11, 19)}`);
      // It moves by whole seconds of event time as more pins are joined.
      await until('the watermark to move', async () => Number(await mark.getAttribute('data-watermark')) >= first + 1000, 120_000);
      await node.click();
      await page.getByLabel('node detail').locator('[data-detail-watermark]').waitFor();
      expect(await page.getByLabel('node detail').locator('[data-detail-watermark]').textContent()).toMatch(/^event-time watermark \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z, \d+ s behind$/);
      await page.screenshot({ path: shot('graph-watermark') });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await analytics.stop();
    }
  });
});
