/**
 * `tributary source list|run`: run one source from a config file with the interval runner, into the
 * log, state store and lake the Tributary config names.
 *
 * The source's config file is `-f, --file` (JSON or YAML, validated with the kind's `configSchema`).
 * It cannot be `--config`: that is the root's global option (the Tributary config), and commander
 * gives a root option its value wherever it appears on the line, after the subcommand too.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatValue } from '../../config/load.ts';
import { TributaryError } from '../../errors.ts';
import { builtInSources, type SourceKind, type SourceRegistry } from '../../sources/registry.ts';
import type { PollResult } from '../../sources/source.ts';
import type { SourceTotals } from '../../sources/run-source.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { table } from '../table.ts';
import { positiveInt } from './topics.ts';

interface RunOptions {
  pipeline?: string[];
  file?: string;
  name?: string;
  interval?: number;
  times?: number;
  duration?: number;
  untilDone?: boolean;
}

/** The environment variable a database source's password comes from (config files hold no secrets). */
export const SOURCE_PASSWORD_ENV = 'TRIBUTARY_SOURCE_PASSWORD';

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number above 0');
  return n;
}

export function sourceCommand(ctx: CliContext, registry: SourceRegistry = builtInSources()): Command {
  const source = new Command('source').description('run a source (HTTP API, scraper, CKAN download, database extract, emulator) from a config file');
  const out = (text: string) => ctx.io.stdout.write(text);

  source
    .command('list')
    .description('list the source kinds')
    .action(() => {
      const rows = Object.entries(registry)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, kind]) => [name, kind.writesTo, kind.description]);
      out(table(['kind', 'writes to', 'description'], rows));
    });

  source
    .command('run <source>')
    .description("poll a pipeline's source (by its name) or a source kind with a config file, on an interval until --times, --duration, --until-done or Ctrl-C")
    .option('--pipeline <module>', 'the pipelines whose sources to use (repeatable; default: those in the project config)', (v: string, acc: string[] = []) => [...acc, v])
    .option('-f, --file <file>', "for a source kind: its config file (.json, .yaml or .yml), checked against the kind's schema")
    .option('--name <name>', "the source's name (its progress lives under source.<name>); replaces name in the file")
    .option('--interval <ms>', "time from the start of one poll to the start of the next (default: a pipeline source's interval, else 60000)", positiveInt)
    .option('--times <n>', 'stop after this many polls', positiveInt)
    .option('--duration <s>', 'stop after this many seconds (checked between polls)', positiveNumber)
    .option('--until-done', 'stop when the source says it has caught up (an extract, a download pass, an empty page)')
    .action(async (name: string, _o, command: Command) => {
      const options = command.opts<RunOptions>();
      const globals = command.optsWithGlobals<GlobalOptions>();
      const needsFile = (kindName: string) => {
        const hint = globals.config === undefined ? '' : ` (--config ${globals.config} is the Tributary config, not the source's)`;
        return new TributaryError('CLI_USAGE', `source run ${kindName} needs the source's config file: --file <file.json|.yaml>${hint}; or name a pipeline's source (tributary source run <source> --pipeline <module>)`);
      };
      // A built-in kind without its file is a usage error, whatever the project config says.
      if (registry[name] && options.file === undefined && options.pipeline === undefined && globals.config !== undefined) throw needsFile(name);
      const loaded = await ctx.loadConfig(globals);
      const { loadPipelines } = await import('../../runtime/load-pipelines.ts');
      const pipelines = await loadPipelines(options.pipeline ?? [], loaded, ctx.io.cwd);
      const declared = pipelines.flatMap((l) => l.pipeline.sources).find((s) => s.name === name);
      if (declared && options.file === undefined) {
        const kind: SourceKind = { component: declared.component, writesTo: declared.writesTo ?? 'log', description: declared.description ?? '' };
        const interval = options.interval ?? ('everyMs' in declared.schedule ? declared.schedule.everyMs : 60_000);
        await runFromConfig(ctx, globals, kind, declared.config, { ...options, interval }, out);
        return;
      }
      const kinds: SourceRegistry = { ...registry, ...Object.fromEntries(pipelines.flatMap((l) => l.pipeline.sources).map((s) => [s.component.name, registry[s.component.name] ?? { component: s.component, writesTo: s.writesTo ?? 'log', description: s.description ?? '' }])) };
      const kind = kinds[name];
      if (!kind) {
        const sources = pipelines.flatMap((l) => l.pipeline.sources.map((s) => `${s.name} (${l.pipeline.name})`));
        throw new TributaryError('CLI_USAGE', `no source or source kind "${name}"; the loaded pipelines' sources: ${sources.join(', ') || '(none)'}; the kinds: ${Object.keys(kinds).sort().join(', ')}`);
      }
      if (options.file === undefined) throw needsFile(name);
      const file = path.resolve(ctx.io.cwd, options.file);
      const config = await readSourceConfig(kind, file, options.name, ctx.io.env);
      await runFromConfig(ctx, globals, kind, config, { ...options, interval: options.interval ?? 60_000 }, out);
    });
  return source;
}

async function runFromConfig(ctx: CliContext, globals: GlobalOptions, kind: SourceKind, config: unknown, options: RunOptions & { interval: number }, out: (text: string) => void): Promise<void> {
  await ctx.withLog(globals, async (log, loaded) => {
    const logger = await ctx.logger(loaded);
    const { openStateStore } = await import('../../state/open-state.ts');
    const { runSource } = await import('../../sources/run-source.ts');
    const state = await openStateStore(loaded.config, { cwd: ctx.io.cwd });
    try {
      const lake = kind.writesTo === 'lake' ? await (await import('../../lake/open-lake.ts')).openLake(loaded.config, { cwd: ctx.io.cwd }) : undefined;
      try {
        const running = kind.component.create(config, { log, state, logger, ...(lake ? { lake } : {}) });
        const where = kind.writesTo === 'lake' ? `the ${loaded.config.lake.backend} lake` : `the ${log.backend} log`;
        out(`source ${running.name} (${kind.component.name}): polling every ${options.interval} ms into ${where}${limits(options)}; Ctrl-C stops\n`);
        const started = Date.now();
        let totals: SourceTotals;
        try {
          totals = await runSource(running, {
            intervalMs: options.interval,
            ...(options.times === undefined ? {} : { times: options.times }),
            ...(options.duration === undefined ? {} : { durationMs: options.duration * 1000 }),
            ...(options.untilDone ? { untilDone: true } : {}),
            ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
            logger,
            onPoll: (result, sums) => out(`${progressLine(result, sums)}\n`),
          });
        } finally {
          await running.close();
        }
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        const stopped = ctx.io.signal?.aborted ? 'interrupted' : 'stopped';
        out(`source ${running.name}: ${stopped} after ${totals.polls} poll${totals.polls === 1 ? '' : 's'} in ${seconds} s: ${totals.emitted} emitted, ${totals.skipped} skipped, ${totals.rejected} rejected, ${totals.failedPolls} failed\n`);
      } finally {
        await lake?.close();
      }
    } finally {
      await state.close();
    }
  });
}

function limits(options: RunOptions & { interval: number }): string {
  const parts = [
    options.times === undefined ? undefined : `${options.times} poll${options.times === 1 ? '' : 's'}`,
    options.duration === undefined ? undefined : `${options.duration} s`,
    options.untilDone ? 'until done' : undefined,
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? '' : ` (at most: ${parts.join(', ')})`;
}

/** `poll 3: emitted 10, skipped 0, rejected 1 | total: polls 3, emitted 30, skipped 0, rejected 1` */
export function progressLine(result: PollResult, totals: SourceTotals): string {
  const failed = totals.failedPolls > 0 ? ` (${totals.failedPolls} failed)` : '';
  return (
    `poll ${totals.polls}: emitted ${result.emitted}, skipped ${result.skipped}, rejected ${result.rejected}${result.done ? ', done' : ''}` +
    ` | total: polls ${totals.polls}${failed}, emitted ${totals.emitted}, skipped ${totals.skipped}, rejected ${totals.rejected}`
  );
}

/** Read a source config file (JSON or YAML), add `--name` and the password from the environment, and validate it. */
export async function readSourceConfig(kind: SourceKind, file: string, name: string | undefined, env: Readonly<Record<string, string | undefined>>): Promise<unknown> {
  if (!existsSync(file)) throw new TributaryError('CONFIG_FILE_NOT_FOUND', `source config file not found: ${file}`);
  let value: unknown;
  try {
    const text = await readFile(file, 'utf8');
    if (/\.ya?ml$/i.test(file)) value = parseYaml(text);
    else if (/\.json$/i.test(file)) value = JSON.parse(text);
    else throw new Error('expected a .json, .yaml or .yml file');
  } catch (error) {
    throw new TributaryError('CONFIG_FILE_UNREADABLE', `cannot read source config ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (value === null || value === undefined) value = {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TributaryError('CONFIG_FILE_UNREADABLE', `source config ${file} must hold an object of settings, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  const input = structuredClone(value) as Record<string, unknown>;
  const problems: string[] = [];
  if (name !== undefined) input.name = name;
  if (kind.passwordPath) {
    const at = kind.passwordPath;
    const parent = at.slice(0, -1).reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], input) as Record<string, unknown> | undefined;
    const leaf = at[at.length - 1] ?? 'password';
    if (parent && typeof parent === 'object' && parent[leaf] !== undefined) {
      problems.push(`${at.join('.')}: secrets may not be written in a config file; set environment variable ${SOURCE_PASSWORD_ENV} instead`);
    } else if (parent && typeof parent === 'object' && env[SOURCE_PASSWORD_ENV]) {
      parent[leaf] = env[SOURCE_PASSWORD_ENV];
    }
  }
  const result = kind.component.configSchema.safeParse(input);
  if (!result.success) problems.push(...result.error.issues.map((issue) => describeIssue(issue, input, kind.component.configSchema)));
  if (problems.length > 0 || !result.success) {
    throw new TributaryError('CONFIG_INVALID', `invalid ${kind.component.name} source config ${file}: ${problems.join('; ')}`);
  }
  return result.data;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown, schema: z.ZodType): string {
  const at = issue.path.map(String);
  const where = issue.path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)), '') || '(root)';
  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(schema, at);
    return issue.keys.map((key) => `${where === '(root)' ? key : `${where}.${key}`}: unknown setting${known ? `, expected one of: ${known.join(', ')}` : ''}`).join('; ');
  }
  const value = at.reduce<unknown>((node, part) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), input);
  const got = value === undefined ? 'missing' : `got ${formatValue(value, /password/i.test(at.at(-1) ?? ''))}`;
  const message = issue.message.replace(/^Invalid (input|string): /i, '').replace(/^Too (small|big): /, '');
  return `${where}: ${got}, ${message.replace(/^[A-Z]/, (c) => c.toLowerCase())}`;
}

/** The settings an object schema at `at` accepts, for "unknown setting" messages. */
function keysAt(schema: z.ZodType, at: readonly string[]): string[] | undefined {
  let node: unknown = schema;
  for (const part of [...at, '']) {
    while (node && typeof node === 'object' && 'unwrap' in node && typeof node.unwrap === 'function' && !(node instanceof z.ZodObject)) node = (node.unwrap as () => unknown).call(node);
    if (!(node instanceof z.ZodObject)) return undefined;
    if (part === '') return Object.keys(node.shape);
    node = (node.shape as Record<string, unknown>)[part];
  }
  return undefined;
}
