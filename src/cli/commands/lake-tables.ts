/**
 * `tributary lake snapshots|export|vacuum`: the lake's tables (processed and curated zones, DuckLake).
 * - `snapshots`: the catalog's snapshots, newest first, with what each changed.
 * - `export <zone.table>`: a plain Parquet or CSV copy of one snapshot, for engines that do not read DuckLake.
 * - `vacuum`: expire snapshots older than the retention, delete the files nothing references any more
 *   (and orphans older than an hour: files a killed writer left), merge small files.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { TributaryError } from '../../errors.ts';
import type { LakeTables, TableZone } from '../../lake/tables/tables.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { table } from '../table.ts';

function tableName(text: string): { zone: TableZone; dataset: string } {
  const match = /^(processed|curated)[./]([A-Za-z0-9_-]+)$/.exec(text);
  if (!match) throw new TributaryError('CLI_USAGE', `expected a table as zone.name, e.g. processed.toronto_apartments (zones: processed, curated); got "${text}"`);
  return { zone: match[1] as TableZone, dataset: match[2]! };
}

async function withTables<T>(ctx: CliContext, options: GlobalOptions, fn: (tables: LakeTables) => Promise<T>): Promise<T> {
  const { config } = await ctx.loadConfig(options);
  const { openLakeTables, tablesSettings } = await import('../../lake/tables/open-tables.ts');
  const tables = await openLakeTables(tablesSettings(config, ctx.io.cwd));
  try {
    return await fn(tables);
  } finally {
    await tables.close();
  }
}

export function addLakeTableCommands(lake: Command, ctx: CliContext): void {
  const out = (text: string) => void ctx.io.stdout.write(text);

  lake
    .command('snapshots')
    .description("list the tables' snapshots, newest first (ids for --as-of)")
    .option('-n, --limit <n>', 'how many', (v) => Math.max(1, Math.floor(Number(v)) || 1), 20)
    .option('--json', 'print JSON')
    .action(async (_o, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions & { limit: number; json?: boolean }>();
      await withTables(ctx, options, async (tables) => {
        const snapshots = (await tables.snapshots()).reverse().slice(0, options.limit);
        if (options.json) return out(`${JSON.stringify(snapshots, null, 2)}\n`);
        out(table(['snapshot', 'time', 'changes', 'message'], snapshots.map((s) => [String(s.id), s.time.toISOString(), Object.keys(s.changes).join(', '), s.message ?? ''])));
      });
    });

  lake
    .command('export <table>')
    .description('write a plain, consistent copy of a table (zone.name) as one Parquet or CSV file')
    .requiredOption('--format <format>', 'parquet or csv')
    .option('-o, --out <file>', 'where to write it (a path, or s3://bucket/key); default <name>.<format> here')
    .option('--as-of <snapshot|time>', 'the table as of a snapshot id or a time (default: now)')
    .action(async (name: string, _o, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions & { format: string; out?: string; asOf?: string }>();
      if (options.format !== 'parquet' && options.format !== 'csv') throw new TributaryError('CLI_USAGE', `--format expects parquet or csv, got "${options.format}"`);
      const format = options.format;
      const { zone, dataset } = tableName(name);
      const { parseAsOf } = await import('../../lake/tables/as-of.ts');
      const asOf = options.asOf === undefined ? undefined : parseAsOf(options.asOf);
      const target = options.out === undefined ? path.resolve(ctx.io.cwd, `${dataset}.${format}`) : options.out.startsWith('s3://') ? options.out : path.resolve(ctx.io.cwd, options.out);
      await withTables(ctx, options, async (tables) => {
        const { exportTable } = await import('../../lake/tables/export-table.ts');
        const result = await exportTable(tables, zone, dataset, { format, target, ...(asOf ? { asOf } : {}) });
        out(`${zone}.${dataset}: ${result.rows.toLocaleString('en-US')} rows of snapshot ${result.snapshot} written to ${result.target}\n`);
      });
    });

  lake
    .command('vacuum')
    .description('expire old snapshots, delete unreferenced and orphan files, merge small files')
    .option('--retention <duration>', 'keep snapshots this young for time travel, e.g. 7d, 12h', '7d')
    .option('--no-merge', 'do not merge small files')
    .action(async (_o, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions & { retention: string; merge: boolean }>();
      const { parseDuration } = await import('../../lake/tables/as-of.ts');
      const retentionMs = parseDuration(options.retention);
      await withTables(ctx, options, async (tables) => {
        const { maintainTables } = await import('../../lake/tables/maintenance.ts');
        const r = await maintainTables(tables, { retentionMs, merge: options.merge });
        out(`vacuum: ${r.expiredSnapshots} snapshots expired, ${r.deletedFiles} unreferenced files and ${r.deletedOrphans} orphans deleted, ${r.mergedFiles} small files merged\n`);
      });
    });
}
