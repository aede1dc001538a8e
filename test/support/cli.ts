/** Running CLI commands in-process with captured output, and temp working directories. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { runCli } from '../../src/cli/run.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function capture(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function cli(argv: string[], options: { env?: Record<string, string>; cwd?: string; stdin?: string } = {}): Promise<CliResult> {
  const out = capture();
  const err = capture();
  const code = await runCli(argv, {
    stdin: Readable.from([options.stdin ?? '']),
    stdout: out.stream,
    stderr: err.stream,
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

/** A fresh directory, removed when the test finishes. */
export async function tempDir(prefix = 'tributary-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface ServeProcess {
  /** The server's base URL, once it announced it. */
  base: string;
  /** Interrupts the command, as Ctrl-C does; resolves with its exit code and everything it printed. */
  stop(): Promise<{ code: number; stdout: string }>;
}

/** `tributary serve` in-process on a free port, with `env`, until `stop()`. */
/** `tributary serve` in-process on a free port, serving the Pinterest example unless told otherwise. */
export async function startServe(cwd: string, env: Record<string, string>, pipelines: readonly string[] = [PINTEREST_EXAMPLE]): Promise<ServeProcess> {
  const interrupt = new AbortController();
  let out = '';
  let announced: (url: string) => void;
  const url = new Promise<string>((resolve) => (announced = resolve));
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString();
      const match = /serving on (http:\/\/\S+) /.exec(out);
      if (match) announced(match[1]!);
      done();
    },
  });
  const stderr = new Writable({ write: (_chunk, _encoding, done) => done() });
  const exit = runCli(['serve', ...pipelines, '--port', '0', '--log-level', 'warn'], { stdin: Readable.from(['']), stdout, stderr, env, cwd, signal: interrupt.signal });
  const base = await Promise.race([url, exit.then((code) => Promise.reject(new Error(`tributary serve exited with ${code}: ${out}`)))]);
  return {
    base,
    async stop() {
      interrupt.abort();
      return { code: await exit, stdout: out };
    },
  };
}

/** The examples, for tests that run them. */
export const PINTEREST_EXAMPLE = fileURLToPath(new URL('../../examples/pinterest', import.meta.url));
export const TORONTO_EXAMPLE = fileURLToPath(new URL('../../examples/toronto-kijiji', import.meta.url));
