/**
 * `tributary init [dir]`: write a working project into a directory (made when missing): the
 * project config, one pipeline, its test, a README, and package.json with the dependency on this
 * Tributary. Files that exist are left alone (and named), so init never overwrites work; an existing
 * package.json gets the missing scripts and dependency.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { TributaryError } from '../../errors.ts';
import { packageVersion } from '../../version.ts';
import type { CliContext } from '../context.ts';
import { configFile, gitignoreFile, pipelineFile, readmeFile, testFile } from '../scaffold/templates.ts';

/** This package's root: two levels above src/cli/commands and dist/cli/commands. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** How the new project depends on Tributary: the version when this one came from a registry, else its directory. */
function dependencySpec(dir: string): string {
  if (PACKAGE_ROOT.split(path.sep).includes('node_modules')) return `^${packageVersion()}`;
  return `file:${path.relative(dir, PACKAGE_ROOT) || '.'}`;
}

export function initCommand(ctx: CliContext): Command {
  return new Command('init')
    .argument('[dir]', 'the project directory (default: the working directory)', '.')
    .description('write a working project: tributary.config.ts, pipelines/orders.ts, its test, a README and package.json')
    .action(async (target: string) => {
      const dir = path.resolve(ctx.io.cwd, target);
      await mkdir(path.join(dir, 'pipelines'), { recursive: true });
      await mkdir(path.join(dir, 'test'), { recursive: true });
      const name = path.basename(dir).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'tributary-project';
      const files: Array<[string, string]> = [
        ['tributary.config.ts', configFile()],
        ['pipelines/orders.ts', pipelineFile()],
        ['test/orders.test.ts', testFile()],
        ['README.md', readmeFile(name)],
        ['.gitignore', gitignoreFile()],
      ];
      const written: string[] = [];
      const kept: string[] = [];
      for (const [file, content] of files) {
        const full = path.join(dir, file);
        if (existsSync(full)) {
          kept.push(file);
          continue;
        }
        await writeFile(full, content);
        written.push(file);
      }
      const manifest = path.join(dir, 'package.json');
      let pkg: Record<string, unknown> = {};
      if (existsSync(manifest)) {
        try {
          pkg = JSON.parse(await readFile(manifest, 'utf8')) as Record<string, unknown>;
        } catch (error) {
          throw new TributaryError('CONFIG_FILE_UNREADABLE', `cannot read ${manifest}: ${(error as Error).message}`, { cause: error });
        }
      }
      const dependencies = { ...(pkg.dependencies as Record<string, string> | undefined) };
      dependencies.tributary ??= dependencySpec(dir);
      const scripts = { ...(pkg.scripts as Record<string, string> | undefined) };
      scripts.dev ??= 'tributary dev';
      // npm init's placeholder ("no test specified") is not a test command anyone wants to keep.
      if (scripts.test === undefined || /no test specified/.test(scripts.test)) scripts.test = 'node --test test/*.test.ts';
      pkg = { name, version: '0.1.0', private: true, ...pkg, type: 'module', scripts, dependencies };
      await writeFile(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
      written.push('package.json');
      const out = ctx.io.stdout;
      out.write(`tributary init: wrote ${written.join(', ')} in ${dir}\n`);
      if (kept.length > 0) out.write(`  kept what was there: ${kept.join(', ')}\n`);
      const relative = path.relative(ctx.io.cwd, dir);
      const cd = relative.startsWith('..') ? dir : relative;
      out.write(`next:\n${cd ? `  cd ${cd}\n` : ''}  npm install\n  npx tributary dev\n`);
    });
}
