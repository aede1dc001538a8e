import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/cli.ts';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** The real executable, in its own process, with a clean environment. */
async function tributary(args: string[], env: Record<string, string> = {}, cwd?: string) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [main, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, cwd: cwd ?? (await tempDir()) });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the tributary executable', () => {
  it('should print help listing the commands and the global options', async () => {
    const result = await tributary(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: tributary [options] [command]');
    expect(result.stdout).toMatch(/^ {2}config +inspect the configuration$/m);
    expect(result.stdout).toContain('--log-level <level>');
  });

  it('should print the package version', async () => {
    const result = await tributary(['--version']);
    expect(result).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('should exit once its command is done, even when something left a timer running', async () => {
    const leaky = new URL('./fixtures/leaky-pipeline.ts', import.meta.url).pathname;
    const cwd = await tempDir();
    const result = await tributary(['dev', leaky, '--port', '0', '--duration', '1', '--status-ms', '0'], {}, cwd);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('tributary dev stopped after');
  }, 60_000);

  it('should check the config', async () => {
    const result = await tributary(['config', 'check', '--format', 'json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ log: { backend: 'embedded' } });
  });

  it('should exit 2 with one line and no stack trace for an invalid config', async () => {
    const result = await tributary(['config', 'check'], { TRIBUTARY_SERVER_PORT: '-1' });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      'error [CONFIG_INVALID]: invalid config: server.port: got -1 from environment variable TRIBUTARY_SERVER_PORT, expected number to be >=0',
    ]);
  });

  it('should exit 2 without a stack trace for an unknown command or option', async () => {
    const command = await tributary(['bogus']);
    expect(command.code).toBe(2);
    expect(command.stderr).toBe("error: unknown command 'bogus'\n(run with --help for usage)\n");
    const option = await tributary(['config', 'check', '--frmat', 'json']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("error: unknown option '--frmat'");
    expect(option.stderr).not.toMatch(/^\s+at /m);
  });

  it('should write JSON log lines to stderr when it is not a terminal', async () => {
    const result = await tributary(['config', 'check', '--log-level', 'debug']);
    expect(result.code).toBe(0);
    const line = JSON.parse(result.stderr.trim().split('\n')[0] ?? '') as { level: number; msg: string };
    expect(line).toMatchObject({ level: 20, msg: 'config is valid' });
  });
});
