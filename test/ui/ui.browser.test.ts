/**
 * The web UI in a real browser (Debian's chromium through playwright-core) against `tributary dev`
 * running the Pinterest and Toronto examples: each page loads without a console error and shows the
 * examples' real data, the graph draws every node, the message browser pages and filters on the
 * server and starts from a time, a dead letter shows up first on the overview with its reason, and with an API key the page
 * asks for it while the API refuses requests without it. Screenshots go to test/ui/screenshots/.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { openLakeTables, tablesSettings } from '../../src/lake/tables/open-tables.ts';
import { EXAMPLES, SCREENSHOTS, launch, openPage, startDev, until, type DevServer } from './browser.ts';

interface Graph {
  nodes: Array<{ id: string; kind: string; name: string }>;
  edges: unknown[];
}

let dev: DevServer;
let browser: Browser;

beforeAll(async () => {
  [dev, browser] = await Promise.all([startDev([EXAMPLES.pinterest, EXAMPLES.toronto]), launch()]);
});

afterAll(async () => {
  await browser?.close();
  await dev?.stop();
});

const shot = (name: string) => path.join(SCREENSHOTS, `${name}.png`);

async function jobCounts(): Promise<{ in: number; out: number; filtered: number; deadLettered: number }> {
  const status = (await (await fetch(`${dev.url}/api/status`)).json()) as { parts: Array<{ name: string; counts: Record<string, number> }> };
  const c = status.parts.find((p) => p.name === 'pinterest-clean')!.counts;
  return { in: c.in ?? 0, out: c.out ?? 0, filtered: c.filtered ?? 0, deadLettered: c.deadLettered ?? 0 };
}

async function topicSize(topic: string): Promise<number> {
  const t = (await (await fetch(`${dev.url}/api/topics/${topic}`)).json()) as { partitions: Array<{ startOffset: number; endOffset: number }> };
  return t.partitions.reduce((n, p) => n + p.endOffset - p.startOffset, 0);
}

/** The SQL explorer, open on the pins per category of lake.processed.ui_pins (made by the SQL explorer's test). */
async function pinsPerCategory() {
  const watched = await openPage(browser, `${dev.url}/#/sql`);
  const { page } = watched;
  await page.getByLabel('tables').getByRole('button', { name: 'processed.ui_pins' }).waitFor();
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('SELECT category, count(*) AS pins FROM lake.processed.ui_pins GROUP BY category ORDER BY pins DESC');
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Run' }).click();
  return watched;
}

describe('the web UI', () => {
  it('overview should list both pipelines with live counts and sparklines, without a console error', async () => {
    const started = Date.now();
    const { page, errors } = await openPage(browser, `${dev.url}/`);
    await page.locator('[data-pipeline="pinterest"]').waitFor();
    const firstLoadMs = Date.now() - started;
    await page.locator('[data-pipeline="toronto-kijiji"]').waitFor();
    await expect.poll(() => page.locator('.live.on').count(), { timeout: 30_000 }).toBe(1);
    const pinterest = page.locator('[data-pipeline="pinterest"]');
    // The stream job's `in` count rises as the poster posts: real data, live.
    const inCount = async () => Number(((await pinterest.locator('tr', { hasText: 'pinterest-clean' }).locator('.count', { hasText: /^in / }).locator('b').textContent()) ?? '0').replace(/,/g, ''));
    const first = await until('a first count', async () => ((await inCount()) > 0 ? inCount() : undefined));
    await until('the count to move on a pushed sample', async () => (await inCount()) > first);
    await until('a sparkline with a line', async () => (await pinterest.locator('svg.spark polyline').count()) > 0);
    expect(await page.locator('[data-pipeline="toronto-kijiji"]').getByText('toronto-apartments').count()).toBe(1);
    await page.screenshot({ path: shot('overview') });
    await writeFile(path.join(SCREENSHOTS, 'first-load.json'), JSON.stringify({ firstLoadMs }, null, 2));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('graph should draw every node of the loaded pipelines and open a node\'s detail', async () => {
    const graph = (await (await fetch(`${dev.url}/api/ui/graph`)).json()) as Graph;
    expect(graph.nodes.map((n) => n.id)).toEqual(expect.arrayContaining(['topic:pinterest.pins', 'job:pinterest-clean', 'table:pinterest_pins', 'dlq:pinterest-clean', 'batch:pinterest-clean-batch', 'batch:toronto-apartments', 'view:posts-per-category']));
    const { page, errors } = await openPage(browser, `${dev.url}/#/graph`);
    await expect.poll(() => page.locator('.react-flow__node').count(), { timeout: 30_000 }).toBe(graph.nodes.length);
    for (const n of graph.nodes) expect(await page.locator(`[data-node="${n.id}"]`).count(), n.id).toBe(1);
    await until('a live count on the edge into the job', async () => (await page.locator('.react-flow__edge-text', { hasText: /^in \d/ }).count()) > 0);
    await page.locator('[data-node="job:pinterest-clean"]').click();
    const detail = page.getByLabel('node detail');
    await detail.getByText('deadLettered').waitFor();
    expect(await detail.locator('h2').textContent()).toBe('pinterest-clean');
    await page.screenshot({ path: shot('graph') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('topics should show partitions, lag and schema, and page and filter messages on the server', async () => {
    const { page, errors } = await openPage(browser, `${dev.url}/#/topics`);
    const row = page.getByLabel('topics').locator('tr', { hasText: 'pinterest.pins' });
    await row.waitFor();
    expect(Number(((await row.locator('td').nth(2).textContent()) ?? '0').replace(/,/g, ''))).toBeGreaterThan(0);
    await page.screenshot({ path: shot('topics') });
    await row.getByRole('link', { name: 'pinterest.pins' }).click();
    await page.getByLabel('partitions').waitFor();
    expect(await page.locator('pre.schema').textContent()).toContain('"unique_id"');
    const rows = page.getByLabel('messages').locator('tbody tr');
    // Page from the start of partition 0, once it holds more than two pages.
    await until('three pages in partition 0', async () => (await (await fetch(`${dev.url}/api/topics/pinterest.pins`)).json() as { partitions: Array<{ endOffset: number }> }).partitions[0]!.endOffset > 45);
    await page.getByLabel('from offset').fill('0');
    await until('messages from offset 0', async () => (await rows.count()) === 20 && (await rows.first().locator('td').first().textContent()) === '0');
    const firstOffset = Number(await rows.first().locator('td').first().textContent());
    // The next page starts where this one ended.
    await page.getByRole('button', { name: 'next →' }).click();
    await until('the next page', async () => Number(await rows.first().locator('td').first().textContent()) > firstOffset);
    await page.getByRole('button', { name: '← previous' }).click();
    await until('the first page again', async () => Number(await rows.first().locator('td').first().textContent()) === firstOffset);
    const key = (await rows.nth(1).locator('td').nth(2).textContent())!;
    await page.getByPlaceholder('any').fill(key);
    await page.getByRole('button', { name: 'Filter' }).click();
    await until('only the record with that key', async () => (await rows.count()) === 1 && (await rows.first().locator('td').nth(2).textContent()) === key);
    await page.screenshot({ path: shot('topic') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the message browser should start from a time: the first record of the partition at or after it', async () => {
    const { page, errors } = await openPage(browser, `${dev.url}/#/topics/pinterest.pins`);
    await page.getByLabel('partitions').waitFor();
    type Page = { records: Array<{ offset: number; timestamp: string }> };
    const start = ((await (await fetch(`${dev.url}/api/ui/topics/pinterest.pins/messages?partition=0&offset=0&limit=200`)).json()) as Page).records;
    expect(start.length).toBeGreaterThan(10);
    // A whole second (what the time input takes) at the tenth record: the first record at or after it.
    const second = Math.floor(Date.parse(start[9]!.timestamp) / 1000) * 1000;
    const expected = start.find((r) => Date.parse(r.timestamp) >= second)!.offset;
    const local = await page.evaluate((ms) => {
      const d = new Date(ms);
      const two = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
    }, second);
    await page.getByLabel('from time').fill(local);
    await page.getByRole('button', { name: 'Go to time' }).click();
    const rows = page.getByLabel('messages').locator('tbody tr');
    await until('the page from that time', async () => (await rows.first().locator('td').first().textContent()) === String(expected));
    expect(await page.getByLabel('from offset').inputValue()).toBe(String(expected));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a dead letter should come first on the overview, show its reason, and a replay from the page should be counted', async () => {
    const produced = await fetch(`${dev.url}/api/topics/pinterest.pins/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [{ key: 'ui-test-bad', value: '{"not":"a pin"}' }] }) });
    expect(produced.status).toBe(200);
    const { page, errors } = await openPage(browser, `${dev.url}/`);
    const attention = page.locator('.attention');
    await attention.getByRole('link', { name: 'pinterest-clean.dlq' }).waitFor({ timeout: 45_000 });
    await page.screenshot({ path: shot('overview-dead-letters') });
    await attention.getByRole('link', { name: 'pinterest-clean.dlq' }).click();
    await page.locator('select').waitFor();
    // The record may be in any partition: look through each until it shows.
    const options = await page.locator('select option').allTextContents();
    let found = false;
    for (const p of options) {
      await page.locator('select').selectOption(p);
      await page.getByLabel('messages').locator('tbody tr').first().waitFor();
      if ((await page.getByLabel('messages').locator('tr', { hasText: 'ui-test-bad' }).count()) === 1) {
        found = true;
        break;
      }
    }
    expect(found).toBe(true);
    const deadRow = page.getByLabel('messages').locator('tr', { hasText: 'ui-test-bad' });
    expect(await deadRow.locator('.error-line').textContent()).toMatch(/clean-pin|schema|invalid|expected/i);

    // Replay it: the record goes back to pinterest.pins, the job reads it again and, as it is still
    // not a pin, dead-letters it again. Both counts move by exactly one.
    const before = await jobCounts();
    const dlqBefore = await topicSize('pinterest-clean.dlq');
    await deadRow.getByRole('checkbox').check();
    await page.getByRole('button', { name: /Replay 1 selected/ }).click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 30_000 }).toBe('replayed 1 of 1 to pinterest.pins');
    await expect.poll(() => page.locator('.replay-total b').textContent(), { timeout: 30_000 }).toBe('1');
    const after = await until('the job to dead-letter the replayed record', async () => {
      const c = await jobCounts();
      return c.deadLettered === before.deadLettered + 1 ? c : undefined;
    });
    expect(after.in).toBeGreaterThan(before.in);
    expect(after.in).toBe(after.out + after.filtered + after.deadLettered);
    await until('the dead letter of the replay', async () => (await topicSize('pinterest-clean.dlq')) === dlqBefore + 1);
    await page.screenshot({ path: shot('dead-letters') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('SQL explorer should query a lake table of the example\'s pins, chart the result, and refuse a write', async () => {
    // A lake table of the example's real pins, as they are in the topic now (written into dev's own
    // catalog, the way a batch job writes one).
    await until('pins posted', async () => (await topicSize('pinterest.pins')) > 40);
    const read = (await (await fetch(`${dev.url}/api/topics/pinterest.pins/records?from=earliest&max=500`)).json()) as { records: Array<{ value: unknown }> };
    const pins = read.records.map((r) => r.value).filter((v): v is { category: string; unique_id: string } => typeof v === 'object' && v !== null && 'category' in v);
    expect(pins.length).toBeGreaterThan(20);
    const file = path.join(dev.cwd, 'pins.json');
    await writeFile(file, pins.map((p) => JSON.stringify({ unique_id: p.unique_id, category: p.category })).join('\n'));
    const tables = await openLakeTables(tablesSettings(configSchema.parse({}), dev.cwd));
    const c = await tables.instance.connect();
    await c.run(`CREATE TABLE lake.processed.ui_pins AS SELECT * FROM read_json('${file}')`);
    c.closeSync();
    await tables.close();
    const { page, errors } = await pinsPerCategory();
    const rows = page.getByLabel('results').locator('tbody tr');
    await until('result rows', async () => (await rows.count()) > 0);
    expect(await page.getByLabel('results').locator('th').allTextContents()).toEqual(['category', 'pins']);
    const total = (await rows.locator('td:nth-child(2)').allTextContents()).reduce((n, t) => n + Number(t), 0);
    expect(total).toBe(pins.length);
    await page.getByRole('group', { name: 'show as' }).getByRole('button', { name: 'bar' }).click();
    await page.getByRole('img', { name: 'bar chart' }).locator('canvas').waitFor();
    await page.screenshot({ path: shot('sql') });
    // A write is refused with the server's reason, shown on the page.
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('DELETE FROM lake.processed.ui_pins');
    await page.getByRole('button', { name: 'Run' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/only SELECT may run here; this is a DELETE statement/);
    // The refused request answers 400, which the browser logs; nothing else may fail.
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    await page.close();
  });

  it('runs should trigger a run from the page, show it succeed live with its logs, and page the grid on the server', { timeout: 240_000 }, async () => {
    const { graphs } = (await (await fetch(`${dev.url}/api/graphs`)).json()) as { graphs: Array<{ id: string }> };
    // The Toronto example's batch job, over the apartments its source has downloaded.
    const graphId = graphs.map((g) => g.id).find((id) => id.endsWith('.batch.toronto-apartments'));
    expect(graphId).toBeDefined();
    const { page, errors } = await openPage(browser, `${dev.url}/#/runs`);
    await page.getByLabel('graph', { exact: true }).selectOption(graphId!);
    await page.getByRole('button', { name: 'Trigger' }).click();
    // The page goes to the new run, which the server streams to it until it has finished.
    await page.waitForURL(/#\/runs\/[^/]+$/);
    const runId = decodeURIComponent(page.url().split('/').pop()!);
    // A batch run over the example's real data: it may wait for a scheduled run of the graph to end first.
    const finished = await until('the run to finish', async () => {
      const d = (await (await fetch(`${dev.url}/api/runs/${runId}`)).json()) as { run: { status: string } };
      return ['succeeded', 'failed', 'cancelled'].includes(d.run.status) ? d : undefined;
    }, 180_000);
    expect(finished.run.status, JSON.stringify(finished)).toBe('succeeded');
    await page.locator('[data-run-status="succeeded"]').waitFor();
    const logs = page.getByLabel(/^logs of run attempt/).first();
    expect(await logs.textContent()).toMatch(/toronto-apartments: (\d+ units|no input yet)/);
    const stored = (await (await fetch(`${dev.url}/api/runs/${runId}`)).json()) as { run: { status: string; trigger: string; graph: string }; attempts: Array<{ logs: unknown[] }> };
    expect(stored.run).toMatchObject({ status: 'succeeded', trigger: 'manual', graph: graphId });
    expect(await page.locator('.log').count()).toBe(stored.attempts.reduce((n, a) => n + a.logs.length, 0));
    await page.screenshot({ path: shot('run') });
    // Back on the grid, the run is a green cell in its graph's row.
    await page.getByRole('link', { name: '← Runs' }).click();
    const cell = page.locator(`[data-graph="${graphId}"] a[href="#/runs/${encodeURIComponent(runId)}"]`);
    await cell.waitFor();
    // The grid reads its page every 5 s: a page it read while the run ran shows it running until then.
    await until('the cell of the finished run', async () => (await cell.getAttribute('data-status')) === 'succeeded', 30_000);
    await page.screenshot({ path: shot('runs') });
    // The server pages: the second page of one run starts after the first.
    const [first, second] = await Promise.all([0, 1].map(async (offset) => ((await (await fetch(`${dev.url}/api/runs?limit=1&offset=${offset}`)).json()) as { runs: Array<{ runId: string }> }).runs));
    expect(first).toHaveLength(1);
    expect(second![0]?.runId).not.toBe(first![0]!.runId);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('dashboards should save a chart from the SQL explorer, edit it, delete another, and keep it across a restart of dev', async () => {
    // After the SQL explorer's test: lake.processed.ui_pins is there.
    const total = (await (await fetch(`${dev.url}/api/ui/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: 'SELECT count(*) AS pins FROM lake.processed.ui_pins' }) })).json()) as { rows: number[][] };
    const pins = Number(total.rows[0]![0]);
    expect(pins).toBeGreaterThan(20);
    const { page, errors } = await pinsPerCategory();
    await page.getByRole('group', { name: 'show as' }).getByRole('button', { name: 'bar' }).click();
    const save = page.getByRole('form', { name: 'save to dashboard' });
    await save.getByLabel("new dashboard's name").fill('ui-pins');
    await save.getByLabel('chart title').fill('Pins per category');
    await save.getByRole('button', { name: 'Save to dashboard' }).click();
    await save.getByRole('link', { name: 'ui-pins' }).click();
    const first = page.getByLabel('chart Pins per category');
    await first.getByRole('img', { name: 'bar chart' }).locator('canvas').waitFor();
    // Edit: a second chart, the total as one number.
    await page.getByRole('button', { name: 'Edit' }).click();
    const editor = page.getByLabel('edit dashboard');
    await editor.getByLabel('dashboard title').fill('UI pins');
    await editor.getByRole('button', { name: 'Add chart' }).click();
    const added = editor.locator('fieldset').nth(1);
    await added.getByLabel('chart title').fill('Total pins');
    await added.getByLabel('SQL').fill('SELECT count(*) AS pins FROM lake.processed.ui_pins');
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.waitFor({ state: 'detached' });
    await until('the total on the dashboard', async () => (await page.getByLabel('chart Total pins').getByLabel('number').textContent())?.startsWith(String(pins)));
    expect(await page.locator('h1').textContent()).toBe('UI pins');
    await page.screenshot({ path: shot('dashboards') });
    // Another one made on the page and deleted again.
    await page.getByLabel('new dashboard name').fill('ui-scratch');
    await page.getByRole('button', { name: 'New', exact: true }).click();
    await page.locator('[data-dashboard="ui-scratch"]').waitFor();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete' }).click();
    await until('the scratch dashboard gone', async () => ((await (await fetch(`${dev.url}/api/ui/dashboards`)).json()) as { saved: Array<{ name: string }> }).saved.every((d) => d.name !== 'ui-scratch'));
    expect(errors).toEqual([]);
    await page.close();

    // dev stops and starts again on the same data: the dashboard is as it was saved.
    const cwd = dev.cwd;
    await dev.stop({ keepData: true });
    dev = await startDev([EXAMPLES.pinterest, EXAMPLES.toronto], {}, { cwd });
    const { saved } = (await (await fetch(`${dev.url}/api/ui/dashboards`)).json()) as { saved: Array<{ name: string; title: string; charts: Array<{ title: string; kind: string }> }> };
    expect(saved.map((d) => ({ name: d.name, title: d.title, charts: d.charts.map((c) => [c.title, c.kind]) }))).toEqual([{ name: 'ui-pins', title: 'UI pins', charts: [['Pins per category', 'bar'], ['Total pins', 'number']] }]);
    const again = await openPage(browser, `${dev.url}/#/dashboards/ui-pins`);
    await again.page.getByLabel('chart Pins per category').getByRole('img', { name: 'bar chart' }).locator('canvas').waitFor();
    await until('the total after the restart', async () => (await again.page.getByLabel('chart Total pins').getByLabel('number').textContent())?.startsWith(String(pins)));
    expect(again.errors).toEqual([]);
    await again.page.close();
  });
});

describe('the web UI with an API key', () => {
  it('should ask for the key, refuse a wrong one, and the API should refuse requests without it', async () => {
    const key = 'ui-test-key-0123456789abcdef';
    const keyed = await startDev([EXAMPLES.toronto], { TRIBUTARY_SERVER_API_KEY: key });
    try {
      expect((await fetch(`${keyed.url}/api/status`)).status).toBe(401);
      expect((await fetch(`${keyed.url}/api/ui/graph`)).status).toBe(401);
      expect((await fetch(`${keyed.url}/api/status`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      const { page, errors } = await openPage(browser, `${keyed.url}/`);
      const input = page.getByLabel('API key');
      await input.waitFor();
      await page.screenshot({ path: shot('api-key') });
      await input.fill('not-the-key');
      await page.getByRole('button', { name: 'Open' }).click();
      await page.getByText('That key was refused.').waitFor();
      await page.getByLabel('API key').fill(key);
      await page.getByRole('button', { name: 'Open' }).click();
      await page.locator('[data-pipeline="toronto-kijiji"]').waitFor();
      // The page's own refused requests are the 401s it is meant to get; nothing else may fail.
      expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
      await page.close();
    } finally {
      await keyed.stop();
    }
  });
});
