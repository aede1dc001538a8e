/**
 * How other commands find a running `tributary dev`: it writes `<dataDir>/dev.json` (its pid and
 * server URL, readable by the owner only) once its server listens, and removes it when it stops. A
 * command that finds the embedded log held reads the file and, when that pid is alive, talks to the
 * process's local API instead (src/serve/api/).
 */
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/schema.ts';

export interface DevFile {
  pid: number;
  url: string;
  startedAt: string;
  pipelines: string[];
}

export function devFilePath(config: Readonly<Config>, cwd: string): string {
  return path.resolve(cwd, config.dataDir, 'dev.json');
}

export async function writeDevFile(file: string, content: DevFile): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
}

export async function removeDevFile(file: string, pid = process.pid): Promise<void> {
  // Only our own: a second dev that failed to start must not remove the first one's file.
  if (readDevFile(file)?.pid === pid) await rm(file, { force: true });
}

/** The running process the file names, or undefined when there is none or it has died. */
export function readDevFile(file: string): DevFile | undefined {
  let content: DevFile;
  try {
    content = JSON.parse(readFileSync(file, 'utf8')) as DevFile;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(content.pid) || typeof content.url !== 'string') return undefined;
  try {
    process.kill(content.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
  }
  return content;
}
