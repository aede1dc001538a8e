/** Scheduler and worker processes for the fault tests (fixtures/orchestrator-process.ts), and a seeded random source to kill them by. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';

const fixture = path.resolve(import.meta.dirname, 'fixtures/orchestrator-process.ts');

export interface FaultProcess {
  role: 'scheduler' | 'worker';
  child: ChildProcess;
  ready: Promise<void>;
  output(): string;
}

export function spawnRole(role: FaultProcess['role'], env: Record<string, string>): FaultProcess {
  const child = spawn(process.execPath, [fixture, role], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`${role} ${child.pid} exited (${code ?? signal}) before it was ready:\n${out}`)));
  });
  ready.catch(() => undefined);
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  return { role, child, ready, output: () => out };
}

export async function kill(p: FaultProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = once(p.child, 'exit');
  p.child.kill(signal);
  await exited;
}

/** mulberry32: a small seeded generator, so a failing seed replays the same plan of faults. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
