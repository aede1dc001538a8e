/**
 * Finding and importing pipeline modules. A command names them on its command line, or the project
 * config lists them (`pipelines` in tributary.config.ts). Each entry is a module file (`.ts`, `.mts`,
 * `.js`, `.mjs`), a directory holding `pipeline.ts` (or `.js`), or a directory of such directories
 * (`examples/` loads every example in it).
 *
 * Errors: PIPELINE_NOT_FOUND (nothing at a path, or no pipeline module in a directory, or no
 * pipeline named at all), PIPELINE_INVALID (a module that fails to import, or whose default export
 * is not `definePipeline(...)`, or two pipelines with one name, or pipelines sharing a job, source,
 * table, view, service or batch output name: pipeline-collisions.ts).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LoadedConfig } from '../config/load.ts';
import { TributaryError } from '../errors.ts';
import type { StreamJobs } from '../stream/jobs.ts';
import { definePipeline, isPipeline, type DefinedPipeline } from './pipeline.ts';
import { checkCollisions } from './pipeline-collisions.ts';

function isStreamJobs(value: unknown): value is StreamJobs {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'tributary.stream-jobs';
}

const MODULE_NAMES = ['pipeline.ts', 'pipeline.mts', 'pipeline.js', 'pipeline.mjs'];
const MODULE_FILE = /\.(m?ts|m?js)$/;

export interface LoadedPipeline {
  pipeline: DefinedPipeline;
  /** The module file it came from. */
  module: string;
}

/** The module files `entries` name, in order, each once. */
export function resolvePipelineModules(entries: readonly string[], base: string): string[] {
  const modules: string[] = [];
  for (const entry of entries) {
    const target = path.resolve(base, entry);
    if (!existsSync(target)) throw new TributaryError('PIPELINE_NOT_FOUND', `no pipeline at ${entry} (looked for ${target})`);
    if (statSync(target).isFile()) {
      if (!MODULE_FILE.test(target)) throw new TributaryError('PIPELINE_NOT_FOUND', `${entry} is not a pipeline module: expected a .ts or .js file, or a directory holding pipeline.ts`);
      modules.push(target);
      continue;
    }
    const own = moduleIn(target);
    if (own) {
      modules.push(own);
      continue;
    }
    const nested = readdirSync(target, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.') && d.name !== 'node_modules')
      .map((d) => moduleIn(path.join(target, d.name)))
      .filter((m): m is string => m !== undefined)
      .sort();
    if (nested.length === 0) throw new TributaryError('PIPELINE_NOT_FOUND', `no pipeline module in ${entry}: expected ${MODULE_NAMES[0]} in it or in its subdirectories`);
    modules.push(...nested);
  }
  return [...new Set(modules)];
}

function moduleIn(dir: string): string | undefined {
  for (const name of MODULE_NAMES) {
    const file = path.join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** Import each module and check its default export. */
export async function importPipelines(modules: readonly string[]): Promise<LoadedPipeline[]> {
  const loaded: LoadedPipeline[] = [];
  for (const module of modules) {
    let exported: unknown;
    try {
      exported = ((await import(pathToFileURL(module).href)) as { default?: unknown }).default;
    } catch (error) {
      if (error instanceof TributaryError) throw error;
      throw new TributaryError('PIPELINE_INVALID', `cannot load pipeline module ${module}: ${(error as Error).message}`, { cause: error });
    }
    // A module of stream jobs alone (defineStreamJobs) is a pipeline of those jobs, named after its file.
    if (isStreamJobs(exported)) exported = definePipeline({ name: path.basename(module).replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9._-]/g, '-'), streamJobs: exported.jobs });
    if (!isPipeline(exported)) throw new TributaryError('PIPELINE_INVALID', `pipeline module ${module} must export default definePipeline({...}) (from 'tributary')`);
    const twin = loaded.find((l) => l.pipeline.name === exported.name);
    if (twin) throw new TributaryError('PIPELINE_INVALID', `two pipelines are named "${exported.name}": ${twin.module} and ${module}`);
    loaded.push({ pipeline: exported, module });
  }
  checkCollisions(loaded);
  return loaded;
}

/**
 * The pipelines a command works on: those named on its command line, or else those the config lists
 * (paths relative to the config file). `required` makes "none at all" an error.
 */
export async function loadPipelines(args: readonly string[], loaded: LoadedConfig, cwd: string, options: { required?: boolean } = {}): Promise<LoadedPipeline[]> {
  const fromConfig = args.length === 0;
  const entries = fromConfig ? loaded.config.pipelines : args;
  if (entries.length === 0) {
    if (!options.required) return [];
    throw new TributaryError(
      'PIPELINE_NOT_FOUND',
      `no pipeline to run: name one (e.g. tributary dev examples/pinterest) or list them in the project config (pipelines: ['pipelines/my-pipeline.ts'] in tributary.config.ts${loaded.file ? `, here ${loaded.file}` : ''})`,
    );
  }
  const base = fromConfig && loaded.file ? path.dirname(loaded.file) : cwd;
  return importPipelines(resolvePipelineModules(entries, base));
}
