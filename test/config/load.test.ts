import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { tempDir } from '../support/cli.ts';
import { rejection } from '../support/errors.ts';

describe('loadConfig', () => {
  it('should give the embedded defaults when there is no file, environment or flag', async () => {
    const { config, file } = await loadConfig({ cwd: await tempDir(), env: {} });
    expect(file).toBeUndefined();
    expect(config.log.backend).toBe('embedded');
    expect(config.lake.backend).toBe('fs');
    expect(config.sinks.backend).toBe('embedded');
    expect(config.state.backend).toBe('embedded');
    expect(config.metadata.backend).toBe('embedded');
    expect(config.server).toEqual({ host: '127.0.0.1', port: 8080, bodyLimitBytes: 1_048_576, maxRecordsPerRequest: 10_000, rateLimitMax: 100, rateLimitWindowMs: 1000 });
    expect(Object.isFrozen(config.server)).toBe(true);
  });

  it('should read a JSON file found in the working directory', async () => {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, 'tributary.config.json'), JSON.stringify({ log: { backend: 'kafka' }, kafka: { brokers: ['127.0.0.1:9092'] } }));
    const { config, file } = await loadConfig({ cwd, env: {} });
    expect(file).toBe(path.join(cwd, 'tributary.config.json'));
    expect(config.log.backend).toBe('kafka');
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
  });

  it('should read a YAML file given explicitly', async () => {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, 'prod.yaml'), 'sinks:\n  backend: postgres\npostgres:\n  url: postgres://app@db:5432/app\n');
    const { config } = await loadConfig({ cwd, env: {}, file: 'prod.yaml' });
    expect(config.sinks.backend).toBe('postgres');
    expect(config.postgres.url).toBe('postgres://app@db:5432/app');
  });

  it('should read a TypeScript file exporting a config, or a function returning one', async () => {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, 'tributary.config.ts'), "const port: number = 9999;\nexport default () => ({ server: { port } });\n");
    const { config } = await loadConfig({ cwd, env: {} });
    expect(config.server.port).toBe(9999);
  });

  it('should let the environment override the file, and flags override both', async () => {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, 'tributary.config.json'), JSON.stringify({ server: { port: 1000, host: '127.0.0.2' }, dataDir: 'from-file' }));
    const { config, sources } = await loadConfig({
      cwd,
      env: { TRIBUTARY_SERVER_PORT: '2000', TRIBUTARY_DATA_DIR: 'from-env', TRIBUTARY_KAFKA_BROKERS: 'a:1, b:2' },
      overrides: { dataDir: 'from-flag' },
    });
    expect(config.server.port).toBe(2000);
    expect(config.server.host).toBe('127.0.0.2');
    expect(config.dataDir).toBe('from-flag');
    expect(config.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(sources.get('server.port')).toEqual({ kind: 'env', name: 'TRIBUTARY_SERVER_PORT' });
    expect(sources.get('dataDir')).toEqual({ kind: 'flag' });
  });

  it('should take secrets from the environment', async () => {
    const { config } = await loadConfig({
      cwd: await tempDir(),
      env: { TRIBUTARY_LAKE_BACKEND: 's3', TRIBUTARY_S3_ACCESS_KEY_ID: 'id', TRIBUTARY_S3_SECRET_ACCESS_KEY: 'sesame' },
    });
    expect(config.s3.secretAccessKey).toBe('sesame');
  });
});

describe('loadConfig with invalid input', () => {
  it('should name the path, the value and the expected type for a wrong type', async () => {
    const error = await rejection(loadConfig({ cwd: await tempDir(), env: { TRIBUTARY_SERVER_PORT: 'eighty' } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe('invalid config: server.port: got "eighty" from environment variable TRIBUTARY_SERVER_PORT, expected number');
  });

  it('should list the known backends for an unknown backend', async () => {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, 'tributary.config.json'), JSON.stringify({ log: { backend: 'rabbitmq' } }));
    const error = await rejection(loadConfig({ cwd, env: {} }));
    expect(error.message).toBe('invalid config: log.backend: got "rabbitmq" from tributary.config.json, expected one of "embedded", "kafka"');
  });

  it('should name the environment variable of a missing required secret', async () => {
    const error = await rejection(loadConfig({ cwd: await tempDir(), env: { TRIBUTARY_STATE_BACKEND: 'redis', TRIBUTARY_REDIS_URL: 'redis://127.0.0.1:6379', TRIBUTARY_LAKE_BACKEND: 's3', TRIBUTARY_S3_ACCESS_KEY_ID: 'id' } }));
    expect(error.message).toBe(
      'invalid config: s3.secretAccessKey: missing, required when lake.backend is "s3" (set environment variable TRIBUTARY_S3_SECRET_ACCESS_KEY)',
    );
  });

  it('should require an API key when the server is exposed beyond loopback', async () => {
    const error = await rejection(loadConfig({ cwd: await tempDir(), env: {}, overrides: { 'server.host': '0.0.0.0' } }));
    expect(error.message).toContain('server.apiKey: missing, required when server.host (0.0.0.0) is not a loopback address (set environment variable TRIBUTARY_SERVER_API_KEY)');
  });

  it('should refuse a short or blank API key when the server is exposed beyond loopback, without echoing it', async () => {
    for (const key of ['k', '                    ', 'fifteen-chars-k', '  padded-with-blanks-around  ']) {
      const error = await rejection(loadConfig({ cwd: await tempDir(), env: { TRIBUTARY_SERVER_API_KEY: key }, overrides: { 'server.host': '0.0.0.0' } }));
      expect(error.message, JSON.stringify(key)).toBe(
        'invalid config: server.apiKey: got "***" from environment variable TRIBUTARY_SERVER_API_KEY, must be at least 16 characters, not counting blanks, with no blank at either end, when server.host (0.0.0.0) is not a loopback address (set environment variable TRIBUTARY_SERVER_API_KEY)',
      );
    }
  });

  it('should take a key of 16 characters on a non-loopback bind, and any key on loopback', async () => {
    const exposed = await loadConfig({ cwd: await tempDir(), env: { TRIBUTARY_SERVER_API_KEY: 'sixteen-chars-ok' }, overrides: { 'server.host': '0.0.0.0' } });
    expect(exposed.config.server.apiKey).toBe('sixteen-chars-ok');
    const local = await loadConfig({ cwd: await tempDir(), env: { TRIBUTARY_SERVER_API_KEY: 'k' } });
    expect(local.config.server.apiKey).toBe('k');
  });

  it('should refuse a secret written in a config file, without echoing it', async () => {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, 'tributary.config.yaml'), 'postgres:\n  password: hunter2\n');
    const error = await rejection(loadConfig({ cwd, env: {} }));
    expect(error.message).toContain('postgres.password: secrets may not be written in a config file (tributary.config.yaml); set environment variable TRIBUTARY_POSTGRES_PASSWORD instead');
    expect(error.message).not.toContain('hunter2');
  });

  it('should refuse a secret passed as a flag', async () => {
    const error = await rejection(loadConfig({ cwd: await tempDir(), env: {}, overrides: { 'server.apiKey': 'k' } }));
    expect(error.message).toContain('server.apiKey: secrets may not be passed on the command line; set environment variable TRIBUTARY_SERVER_API_KEY instead');
  });

  it('should name an unknown key and the keys that exist there', async () => {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, 'tributary.config.json'), JSON.stringify({ lake: { bakend: 's3' } }));
    const error = await rejection(loadConfig({ cwd, env: {} }));
    expect(error.message).toBe('invalid config: lake.bakend: unknown setting (got "s3" from tributary.config.json), expected one of: backend');
  });

  it('should report every problem at once', async () => {
    const error = await rejection(loadConfig({ cwd: await tempDir(), env: { TRIBUTARY_LOG_BACKEND: 'nats', TRIBUTARY_SERVER_PORT: '70000' } }));
    expect(error.message).toContain('log.backend: got "nats"');
    expect(error.message).toContain('server.port: got 70000 from environment variable TRIBUTARY_SERVER_PORT, expected number to be <=65535');
  });

  it('should say which file is missing', async () => {
    const cwd = await tempDir();
    const error = await rejection(loadConfig({ cwd, env: {}, file: 'nope.json' }));
    expect(error.code).toBe('CONFIG_FILE_NOT_FOUND');
    expect(error.message).toBe(`config file not found: ${path.join(cwd, 'nope.json')}`);
  });

  it('should give the parser error for a malformed file', async () => {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, 'tributary.config.json'), '{ "log": ');
    const error = await rejection(loadConfig({ cwd, env: {} }));
    expect(error.code).toBe('CONFIG_FILE_UNREADABLE');
    expect(error.message).toMatch(/^cannot read config file .*tributary\.config\.json: .*JSON/);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('should refuse a file that does not hold an object', async () => {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, 'tributary.config.yaml'), '- a\n- b\n');
    const error = await rejection(loadConfig({ cwd, env: {} }));
    expect(error.code).toBe('CONFIG_FILE_UNREADABLE');
    expect(error.message).toContain('must hold an object');
  });

  it('should refuse a JSON file holding null as it refuses an array', async () => {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, 'tributary.config.json'), 'null\n');
    const error = await rejection(loadConfig({ cwd, env: {} }));
    expect(error.code).toBe('CONFIG_FILE_UNREADABLE');
    expect(error.message).toBe(`config file ${path.join(cwd, 'tributary.config.json')} must hold an object (a TypeScript or JavaScript file: export default {...}), got null`);
  });

  it('should take an empty YAML file as all defaults', async () => {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, 'tributary.config.yaml'), '# nothing set yet\n');
    const { config, file } = await loadConfig({ cwd, env: {} });
    expect(file).toBe(path.join(cwd, 'tributary.config.yaml'));
    expect(config.log.backend).toBe('embedded');
  });

  it('should refuse a YAML alias that refers to itself, naming the file and the path', async () => {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, 'tributary.config.yaml'), 'server: &loop\n  port: 81\n  again: *loop\n');
    const error = await rejection(loadConfig({ cwd, env: {} }));
    expect(error.code).toBe('CONFIG_FILE_UNREADABLE');
    expect(error.message).toContain(`config file ${path.join(cwd, 'tributary.config.yaml')} refers to itself at server.again`);
  });
});
