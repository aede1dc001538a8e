/** `tributary worker`, `dev` or any command as a child process, with its output captured and waited on. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { onTestFinished } from 'vitest';

const main = path.resolve(import.meta.dirname, '../../src/cli/main.ts');

export interface WorkerProcess {
  pid: number;
  exited: Promise<number | null>;
  /** Resolves once stdout matches; rejects with the output when the worker exits or time runs out first. */
  seen(pattern: RegExp, timeoutMs?: number): Promise<void>;
  output(): { stdout: string; stderr: string };
  kill(signal: NodeJS.Signals): void;
  /** The exit code once the process has exited; rejects with its output when it has not within `timeoutMs`. */
  exitedWithin(timeoutMs: number): Promise<number | null>;
}

export function startWorker(pipeline: string, args: string[], env: Record<string, string>): WorkerProcess {
  return startCliProcess(['worker', pipeline, '--progress-ms', '100', ...args], env);
}

/**
 * The CLI from src/ in a child process; pipeline modules that import 'tributary' get the source, as in the tests.
 * It is SIGKILLed when the test ends, unless `outlive` (a process started in a `beforeAll` that several
 * tests share; the caller kills it).
 */
export function startCliProcess(args: string[], env: Record<string, string>, cwd?: string, { outlive = false }: { outlive?: boolean } = {}): WorkerProcess {
  const child = spawn(process.execPath, ['--conditions=tributary-source', main, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(cwd === undefined ? {} : { cwd }) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  if (!outlive) onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return {
    pid: child.pid!,
    exited,
    output: () => ({ stdout, stderr }),
    kill: (signal) => child.kill(signal),
    async exitedWithin(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`process ${child.pid} did not exit within ${timeoutMs} ms; stdout:\n${stdout.slice(-6000)}\nstderr:\n${stderr.slice(-6000)}`)), timeoutMs);
      });
      try {
        return await Promise.race([exited, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    async seen(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(stdout)) {
        if (Date.now() > deadline) throw new Error(`worker ${child.pid} never printed ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`);
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker ${child.pid} exited (${child.exitCode ?? child.signalCode}); stdout:\n${stdout}\nstderr:\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}
