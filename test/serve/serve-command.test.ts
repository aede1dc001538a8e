import { describe, expect, it } from 'vitest';
import { cli, startServe, tempDir } from '../support/cli.ts';

describe('tributary serve', () => {
  it('should serve the ingest API on a real socket until the signal, and the records should be in the log', async () => {
    const cwd = await tempDir();
    const server = await startServe(cwd, { TRIBUTARY_SERVER_API_KEY: 'key-1' });
    const base = server.base;
    const pin = { category: 'art', index: 1, unique_id: '0b7c4c57-7a8f-4a0e-9d55-1f5f2d3c1a11', title: 't', description: 'd', follower_count: '1k', tag_list: 'a,b', is_image_or_video: 'image', image_src: 'x', downloaded: 1, save_location: 's' };
    const denied = await fetch(`${base}/ingest/pinterest.pins`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(pin) });
    expect(denied.status).toBe(401);
    const accepted = await fetch(`${base}/ingest/pinterest.pins`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer key-1' }, body: JSON.stringify(pin) });
    expect(accepted.status).toBe(202);
    const doc = (await (await fetch(`${base}/openapi.json`, { headers: { 'x-api-key': 'key-1' } })).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/ingest/pinterest.pins');
    const stopped = await server.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('server stopped');
    await expect(fetch(`${base}/health`)).rejects.toThrow();

    const tail = await cli(['tail', 'pinterest.pins', '--from', 'earliest', '--max', '1'], { cwd });
    expect(tail.code).toBe(0);
    expect((JSON.parse(tail.stdout) as { key: string; value: unknown }).value).toEqual(pin);
  });

  it('should refuse to bind beyond loopback without an API key', async () => {
    const result = await cli(['serve', '--set', 'server.host=0.0.0.0'], { cwd: await tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/server.apiKey/);
  });
});
