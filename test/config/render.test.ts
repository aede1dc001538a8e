import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { maskSecrets, maskUrlPassword, renderSettingsTable } from '../../src/config/render.ts';
import { settings } from '../../src/config/settings.ts';

describe('maskSecrets', () => {
  it('should mask every secret and the password inside URLs, and nothing else', async () => {
    const { config } = await loadConfig({
      cwd: '/',
      env: {
        TRIBUTARY_SINKS_BACKEND: 'postgres',
        TRIBUTARY_POSTGRES_URL: 'postgres://app:pa55@db:5432/app',
        TRIBUTARY_POSTGRES_PASSWORD: 'pa55',
        TRIBUTARY_SERVER_API_KEY: 'key-123',
      },
    });
    const masked = maskSecrets(config);
    const text = JSON.stringify(masked);
    expect(text).not.toContain('pa55');
    expect(text).not.toContain('key-123');
    expect(masked.postgres).toEqual({ url: 'postgres://app:***@db:5432/app', password: '***', schema: 'public' });
    expect(config.postgres.password).toBe('pa55');
  });

  it('should leave URLs without a password as they are', () => {
    expect(maskUrlPassword('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(maskUrlPassword('not a url')).toBe('not a url');
  });
});

describe('docs/configuration.md', () => {
  it('should hold the settings table generated from the schema', async () => {
    const doc = await readFile(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(doc).toContain(renderSettingsTable());
  });

  it('should describe every setting', () => {
    for (const setting of settings) expect(setting.description, setting.key).not.toBe('');
  });
});
