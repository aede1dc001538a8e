/**
 * `tributary lake ls [zone[/dataset[/partition...]]]`: what the raw zone's catalog says is in the
 * lake: zones → datasets (version, files, rows, bytes) → partitions → files. Only committed files are
 * shown: a file no manifest lists is not part of any dataset. The processed and curated zones are
 * tables (lake-tables.ts: snapshots, export, vacuum).
 */
import { Command } from 'commander';
import { readManifest, visibleFiles, type Manifest } from '../../lake/catalog.ts';
import { checkDataset, checkZone } from '../../lake/keys.ts';
import { zones, type Lake, type Zone } from '../../lake/lake.ts';
import { openLake } from '../../lake/open-lake.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { table } from '../table.ts';
import { addLakeTableCommands } from './lake-tables.ts';

interface LsOptions extends GlobalOptions {
  json?: boolean;
}

/** Datasets of a zone: those with at least one manifest snapshot. */
async function datasets(lake: Lake, zone: Zone): Promise<string[]> {
  const found = new Set<string>();
  for await (const object of lake.list(`${zone}/`)) {
    const [, dataset, marker] = object.key.split('/');
    if (dataset && marker === '_manifest') found.add(dataset);
  }
  return [...found].sort();
}

function totals(manifest: Manifest) {
  const parts = Object.values(manifest.partitions);
  return { version: manifest.version, partitions: parts.length, files: parts.reduce((n, p) => n + p.files.length, 0), rows: parts.reduce((n, p) => n + p.rows, 0), bytes: parts.reduce((n, p) => n + p.bytes, 0) };
}

export function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function lakeCommand(ctx: CliContext): Command {
  const lake = new Command('lake').description('look into the data lake');
  lake
    .command('ls [path]')
    .description('list zones and datasets, a dataset\'s partitions (zone/dataset), or a partition\'s files (zone/dataset/dt=.../hr=...), from the catalog')
    .option('--json', 'print JSON')
    .action(async (target: string | undefined, _o, command: Command) => {
      const options = command.optsWithGlobals<LsOptions>();
      const loaded = await ctx.loadConfig(options);
      const store = await openLake(loaded.config, { cwd: ctx.io.cwd });
      const out = (text: string): void => {
        ctx.io.stdout.write(text);
      };
      try {
        const [zoneName, datasetName, ...partition] = (target ?? '').split('/').filter((s) => s !== '');
        if (datasetName === undefined) {
          const list = zoneName === undefined ? [...zones] : [checkZone(zoneName)];
          const rows: { zone: Zone; dataset: string; version: number; partitions: number; files: number; rows: number; bytes: number }[] = [];
          for (const zone of list) for (const dataset of await datasets(store, zone)) rows.push({ zone, dataset, ...totals(await readManifest(store, zone, dataset)) });
          if (options.json) return out(`${JSON.stringify(rows, null, 2)}\n`);
          if (rows.length === 0) return out(`no datasets in ${zoneName ?? 'the lake'}\n`);
          return out(table(['dataset', 'version', 'partitions', 'files', 'rows', 'size'], rows.map((r) => [`${r.zone}/${r.dataset}`, String(r.version), String(r.partitions), String(r.files), String(r.rows), humanBytes(r.bytes)])));
        }
        const zone = checkZone(zoneName!);
        const manifest = await readManifest(store, zone, checkDataset(datasetName));
        if (partition.length === 0) {
          const rows = Object.entries(manifest.partitions).map(([path, p]) => ({ partition: path, files: p.files.length, rows: p.rows, bytes: p.bytes }));
          if (options.json) return out(`${JSON.stringify({ ...totals(manifest), schema: manifest.schema, partitions: rows }, null, 2)}\n`);
          const t = totals(manifest);
          out(`${zone}/${datasetName}: version ${t.version}, ${t.files} files, ${t.rows} rows, ${humanBytes(t.bytes)}; columns ${manifest.schema.map((c) => `${c.name} ${c.type}`).join(', ')}\n`);
          return out(table(['partition', 'files', 'rows', 'size'], rows.map((r) => [r.partition || '(none)', String(r.files), String(r.rows), humanBytes(r.bytes)])));
        }
        const prefix = partition.join('/');
        const files = visibleFiles(manifest).filter((f) => f.partition === prefix || f.partition.startsWith(`${prefix}/`));
        if (options.json) return out(`${JSON.stringify(files, null, 2)}\n`);
        if (files.length === 0) return out(`no files in ${zone}/${datasetName}/${prefix}\n`);
        return out(table(['file', 'rows', 'size', 'run'], files.map((f) => [f.key, String(f.rows), humanBytes(f.bytes), f.run])));
      } finally {
        await store.close();
      }
    });
  addLakeTableCommands(lake, ctx);
  return lake;
}
