/**
 * `npm run bench -- <name> [--records N] [...]`: runs bench/<name>.ts, writes its result to
 * bench/results/<name>.json and prints the same JSON as the last line.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

const benches: Record<string, () => Promise<{ run(args: Record<string, string | boolean | undefined>): Promise<object> }>> = {
  log: () => import('./log.ts'),
  stream: () => import('./stream.ts'),
  batch: () => import('./batch.ts'),
  ingest: () => import('./ingest.ts'),
  orchestrator: () => import('./orchestrator.ts'),
  ui: () => import('./ui.ts'),
  'vs-spark': () => import('./vs-spark.ts'),
};

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    records: { type: 'string' },
    rows: { type: 'string' },
    repeat: { type: 'string' },
    case: { type: 'string' },
    log: { type: 'string' },
    phases: { type: 'string' },
    profile: { type: 'string' },
    rate: { type: 'string' },
    check: { type: 'boolean' },
  },
});
const name = positionals[0];
const load = name ? benches[name] : undefined;
if (!load) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [--records N]\n`);
  process.exit(2);
}
const result = await (await load()).run(values);
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
const json = JSON.stringify(result);
await writeFile(new URL(`./results/${name}.json`, import.meta.url), json + '\n');
process.stdout.write(json + '\n');
