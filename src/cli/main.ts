#!/usr/bin/env node
/** The `tributary` executable. */
import { runCli } from './run.ts';

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
