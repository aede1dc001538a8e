/**
 * Writes the dashboards of dashboards.ts as the JSON files Grafana provisions, beside this script:
 * `node examples/pinterest-analytics/deploy/grafana/emit-dashboards.ts` (or `npm run dashboards`).
 * A test checks that the checked-in files are what this writes.
 */
import { writeFile } from 'node:fs/promises';
import { dashboardJson, dashboards } from './dashboards.ts';

for (const [file, dashboard] of Object.entries(dashboards)) {
  const target = new URL(`./${file}`, import.meta.url);
  await writeFile(target, dashboardJson(dashboard));
  process.stdout.write(`wrote ${target.pathname}\n`);
}
