/**
 * Runs one Spark peer (bench/peers/spark/<script>.py) as a child process with the Python that
 * scripts/spark installed, samples the resident set size of its whole process tree (Python and the
 * JVM it starts), and returns the JSON line the peer prints last. The peer's stderr goes to a log
 * file; its `[spark]` lines are passed on as progress, and its last lines are shown when it fails.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { progress } from '../workload.ts';

const PEERS = new URL('../peers/spark/', import.meta.url).pathname;
const PAGE = 4096;

export interface SparkEnvironment {
  python: string;
  ivy: string;
  kafkaPackage: string;
}

/** The environment scripts/spark prints; throws naming what is missing when it was not run. */
export function sparkEnvironment(env: NodeJS.ProcessEnv = process.env): SparkEnvironment {
  const missing = ['TRIBUTARY_SPARK_PYTHON', 'TRIBUTARY_SPARK_IVY', 'TRIBUTARY_SPARK_KAFKA_PACKAGE', 'JAVA_HOME'].filter((name) => !env[name]);
  if (missing.length) throw new Error(`vs-spark: ${missing.join(', ')} not set: install the Spark peer and load its environment first: eval "$(scripts/spark)"`);
  return { python: env.TRIBUTARY_SPARK_PYTHON!, ivy: env.TRIBUTARY_SPARK_IVY!, kafkaPackage: env.TRIBUTARY_SPARK_KAFKA_PACKAGE! };
}

/** Sum of the resident set sizes of `root` and all its descendants, in bytes. */
async function treeRss(root: number): Promise<number> {
  const parents = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(entry);
      const ppid = Number(fields[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), pid]);
      rss.set(pid, Number(fields[21]) * PAGE);
    } catch {
      // The process ended while we listed: it holds no memory any more.
    }
  }
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    total += rss.get(pid) ?? 0;
    stack.push(...(parents.get(pid) ?? []));
  }
  return total;
}

export interface SparkRun<T> {
  result: T;
  /** Largest RSS of the peer's process tree, in MB. */
  rssMb: number;
}

/** Runs `script` with `args` and returns its last stdout line parsed as JSON. */
export async function runSpark<T>(script: string, args: readonly string[], env: SparkEnvironment, options: { timeoutMs?: number; onLine?: (line: string) => void } = {}): Promise<SparkRun<T>> {
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const logFile = path.join(tmpdir(), `tributary-vs-spark-${script.replace(/\W/g, '-')}-${process.pid}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(env.python, [path.join(PEERS, script), ...args], { cwd: PEERS, env: { ...process.env, PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  const tail: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  let pending = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    log.write(chunk);
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('[spark] ')) {
        progress(`  ${line}`);
        options.onLine?.(line.slice(8));
      }
      tail.push(line);
      if (tail.length > 40) tail.shift();
    }
  });
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling && child.pid) {
      peak = Math.max(peak, await treeRss(child.pid));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  sampling = false;
  await sampler;
  log.end();
  const last = stdout.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !last.startsWith('{')) {
    throw new Error(`vs-spark: the Spark peer ${script} exited with ${code ?? 'a signal'}; its log is ${logFile}; last lines:\n${tail.slice(-15).join('\n')}`);
  }
  return { result: JSON.parse(last) as T, rssMb: Math.round(peak / 1024 / 1024) };
}
