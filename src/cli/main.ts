#!/usr/bin/env node
/** The `tributary` executable. */
import { nodeVersionProblem } from './node-version.ts';

/** How long a finished command waits for what is still running before it exits anyway. */
const EXIT_GRACE_MS = 2000;

const problem = nodeVersionProblem(process.versions.node);
if (problem !== undefined) {
  process.stderr.write(problem);
  process.exitCode = 2;
} else {
  // Imported only once the version is known to be good: the commands import node:sqlite.
  const { runCli } = await import('./run.ts');
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort());
  process.once('SIGTERM', () => interrupt.abort());

  process.exitCode = await runCli(process.argv.slice(2), {
    stdin: process.stdin,
    signal: interrupt.signal,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  });
  // The command is done and has closed what it opened. A timer that a library left behind (a Kafka
  // consumer's heartbeat, rescheduled after its leave failed during a rebalance, was one) must not
  // keep the process alive: exit after a grace period. The timer is unref'd, so a process with
  // nothing left exits at once without it.
  setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
}
