import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cli, tempDir } from '../support/cli.ts';

describe('tributary config check', () => {
  it('should print the resolved config with secrets masked', async () => {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, 'tributary.config.json'), JSON.stringify({ lake: { backend: 's3' }, s3: { endpoint: 'http://127.0.0.1:9000' } }));
    const result = await cli(['config', 'check'], {
      cwd,
      env: { TRIBUTARY_S3_ACCESS_KEY_ID: 'AKIDEXAMPLE', TRIBUTARY_S3_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI' },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('wJalrXUtnFEMI');
    const printed = parse(result.stdout) as { lake: unknown; s3: Record<string, unknown> };
    expect(printed.lake).toEqual({ backend: 's3' });
    expect(printed.s3).toMatchObject({ endpoint: 'http://127.0.0.1:9000', accessKeyId: '***', secretAccessKey: '***' });
  });

  it('should print JSON, and take --set and --log-level', async () => {
    const result = await cli(['config', 'check', '--format', 'json', '--set', 'server.port=9090', '--log-level', 'warn'], { cwd: await tempDir() });
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as { server: { port: number }; logging: { level: string } };
    expect(printed.server.port).toBe(9090);
    expect(printed.logging.level).toBe('warn');
  });

  it('should show where each value came from', async () => {
    const result = await cli(['config', 'check', '--sources'], { cwd: await tempDir(), env: { TRIBUTARY_SERVER_PORT: '81' } });
    expect(result.stdout).toMatch(/^server\.port +81 +TRIBUTARY_SERVER_PORT$/m);
    expect(result.stdout).toMatch(/^log\.backend +"embedded" +default$/m);
  });

  it('should exit 2 with one line naming path, value and expectation for an invalid config', async () => {
    const result = await cli(['config', 'check'], { cwd: await tempDir(), env: { TRIBUTARY_SINKS_BACKEND: 'mongodb' } });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'error [CONFIG_INVALID]: invalid config: sinks.backend: got "mongodb" from environment variable TRIBUTARY_SINKS_BACKEND, expected one of "embedded", "postgres", "cassandra"\n',
    );
  });

  it('should exit 2 naming the file when a YAML alias refers to itself', async () => {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, 'tributary.config.yml'), 'log: &self\n  nested: *self\n');
    const result = await cli(['config', 'check'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error \[CONFIG_FILE_UNREADABLE\]: config file .*tributary\.config\.yml refers to itself at log\.nested/);
  });

  it('should exit 2 for a malformed --set', async () => {
    const result = await cli(['config', 'check', '--set', 'server.port'], { cwd: await tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error [CLI_USAGE]: --set expects key=value (e.g. --set log.backend=kafka), got "server.port"\n');
  });
});
