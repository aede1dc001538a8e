/**
 * The exactly-once crash test, shared by the exactly-once sinks: run the counting job in a child
 * process, SIGKILL it, check what the sink holds, start it again; after the last kill let it finish,
 * and compare the table with totals computed directly.
 *
 * What the kills hit is arranged, not left to timing (a loaded machine runs the child faster or
 * slower than expected):
 * - each run before the last stops short of the end (the job's `pauseAt`, a step further each run)
 *   and waits there, so a kill always finds the job unfinished;
 * - every other run kills itself from inside a write, in the write's transaction (`dieInWrite`);
 *   the others are killed from outside at a random moment after their first write.
 */
import { spawn } from 'node:child_process';
import { expect, onTestFinished } from 'vitest';
import type { Sink } from '../../src/sinks/sink.ts';
import { PARTITIONS, TOPIC, expectedTotals } from './fixtures/counting-job.ts';

export interface CrashTestOptions {
  /** The child's script and arguments. */
  script: string;
  args: string[];
  /** Opens a sink on the child's table, to inspect it between runs. */
  openSink(): Promise<Sink>;
  kills: number;
  /** Every partition's end offset. */
  end: number;
  /** An outside kill comes up to this long after the child's first committed write. */
  maxKillDelayMs: number;
}

interface Run {
  /** Resolves once the child printed at least one `wrote` line (or finished). */
  wrote: Promise<void>;
  /** Resolves once the child reached its pauseAt (or finished). */
  paused: Promise<void>;
  /** The child's last complete line of output. */
  lastLine(): string;
  exited: Promise<number | null>;
  kill(): void;
}

function startChild(script: string, args: string[]): Run {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buffered = '';
  let last = '';
  let resolveWrote!: () => void;
  const wrote = new Promise<void>((resolve) => (resolveWrote = resolve));
  let resolvePaused!: () => void;
  const paused = new Promise<void>((resolve) => (resolvePaused = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      last = line;
      if (line.startsWith('wrote') || line === 'done') resolveWrote();
      if (line === 'paused') resolvePaused();
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  void exited.then(() => {
    resolveWrote();
    resolvePaused();
  });
  // A failed assertion or a timeout must not leave the child running.
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { wrote, paused, exited, lastLine: () => last, kill: () => child.kill('SIGKILL') };
}

/** What the sink holds must be exactly what the job computes from the records before its stored positions. */
async function expectConsistent(sink: Sink, label: string): Promise<number[]> {
  const positions = await sink.positions();
  const end = Array.from({ length: PARTITIONS }, (_, p) => positions.find((s) => s.topic === TOPIC && s.partition === p)?.offset ?? 0);
  expect(await sink.scan(), `${label}: the table does not match positions ${end.join(',')}`).toEqual(expectedTotals(end));
  return end;
}

export interface CrashTestResult {
  /** The stored positions after each kill. */
  progress: number[][];
  /** Kills that came while a write was under way (after `writing`, before `wrote`). */
  killedInWrite: number;
  /** Of those, the ones the child made from inside the write's transaction. */
  killedInTransaction: number;
}

export async function crashTest(options: CrashTestOptions): Promise<CrashTestResult> {
  const progress: number[][] = [];
  let killedInWrite = 0;
  let killedInTransaction = 0;
  for (let round = 0; round < options.kills; round++) {
    const pauseAt = Math.floor((options.end * (round + 1)) / (options.kills + 1));
    const fromInside = round % 2 === 1;
    const dieInWrite = fromInside ? 1 + Math.floor(Math.random() * 3) : 0;
    const run = startChild(options.script, [...options.args, String(pauseAt), String(dieInWrite)]);
    if (fromInside) {
      // It kills itself; should it reach its pause first (no write with rows), it is killed there.
      await Promise.race([run.exited, run.paused.then(() => run.kill())]);
    } else {
      await run.wrote;
      // Somewhere in the middle of the next writes: in a COPY, an upsert, a commit, between writes, or paused.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * options.maxKillDelayMs));
      run.kill();
    }
    await run.exited;
    if (run.lastLine() === 'writing' || run.lastLine() === 'dying in write') killedInWrite++;
    if (run.lastLine() === 'dying in write') killedInTransaction++;
    const sink = await options.openSink();
    try {
      progress.push(await expectConsistent(sink, `after kill ${round + 1}`));
    } finally {
      await sink.close();
    }
  }
  const last = startChild(options.script, options.args);
  expect(await last.exited, 'the last run should finish').toBe(0);
  const sink = await options.openSink();
  try {
    const end = await expectConsistent(sink, 'at the end');
    expect(end).toEqual(Array.from({ length: PARTITIONS }, () => options.end));
  } finally {
    await sink.close();
  }
  return { progress, killedInWrite, killedInTransaction };
}
