/**
 * The DuckDB extensions the tables need (ducklake, httpfs, postgres_scanner), found in DuckDB's
 * extension-directory layout under the user's cache, where scripts/duckdb-extensions puts them from
 * their PyPI packages. DuckDB's own INSTALL needs its extension server, which offline machines cannot
 * reach; the PyPI packages carry the same files. First use runs the script when they are missing.
 */
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TributaryError } from '../../errors.ts';

/** The DuckDB release `@duckdb/node-api` is built from: extensions must match it exactly. */
export const DUCKDB_VERSION = '1.5.5';
export const EXTENSIONS = ['ducklake', 'httpfs', 'postgres_scanner'] as const;

const SCRIPT = fileURLToPath(new URL('../../../scripts/duckdb-extensions', import.meta.url));

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TRIBUTARY_CACHE_DIR ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'tributary');
}

export function defaultExtensionDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheDir(env), 'duckdb-extensions');
}

/** DuckDB's platform name (`PRAGMA platform`) for this process. */
export function duckdbPlatform(): string {
  const os = process.platform === 'darwin' ? 'osx' : process.platform === 'win32' ? 'windows' : process.platform;
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return `${os}_${arch}`;
}

async function missing(directory: string): Promise<string[]> {
  const dir = path.join(directory, `v${DUCKDB_VERSION}`, duckdbPlatform());
  const absent: string[] = [];
  for (const name of EXTENSIONS) {
    await access(path.join(dir, `${name}.duckdb_extension`)).catch(() => absent.push(name));
  }
  return absent;
}

const checked = new Set<string>();

/**
 * Makes sure the extensions are in `directory`: when some are not and it is the default cache, runs
 * scripts/duckdb-extensions once; LAKE_EXTENSION_MISSING when they are still missing.
 */
export async function ensureExtensions(directory = defaultExtensionDirectory()): Promise<string> {
  if (checked.has(directory)) return directory;
  let absent = await missing(directory);
  if (absent.length && directory === defaultExtensionDirectory()) {
    try {
      await promisify(execFile)(SCRIPT, [], { env: process.env, timeout: 600_000 });
    } catch (error) {
      throw new TributaryError('LAKE_EXTENSION_MISSING', `The DuckDB extensions ${absent.join(', ')} ${DUCKDB_VERSION} are not installed in ${directory}, and installing them failed; run scripts/duckdb-extensions (it needs pip and PyPI)`, { cause: error });
    }
    absent = await missing(directory);
  }
  if (absent.length) {
    throw new TributaryError('LAKE_EXTENSION_MISSING', `The DuckDB extensions ${absent.join(', ')} ${DUCKDB_VERSION} are not installed in ${directory}; run scripts/duckdb-extensions (TRIBUTARY_CACHE_DIR chooses where it installs them)`);
  }
  checked.add(directory);
  return directory;
}
