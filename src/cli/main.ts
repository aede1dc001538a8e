#!/usr/bin/env node
/** The `tributary` executable. */
import { nodeVersionProblem } from './node-version.ts';

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
}
