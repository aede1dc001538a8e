import { describe, expect, it, onTestFinished } from 'vitest';
import { startHttpEmulator, type HttpEmulator } from '../../../src/sources/emulators/http-emulator.ts';
import { createHttpClient, type HttpClient } from '../../../src/sources/http/http-client.ts';
import { httpOptionsSchema, type HttpOptions } from '../../../src/sources/http/http-options.ts';
import { RateLimiter } from '../../../src/sources/http/rate-limiter.ts';
import { rejection } from '../../support/errors.ts';

async function server(): Promise<HttpEmulator> {
  const emulator = await startHttpEmulator(() => ({ status: 200, body: '{"ok":true}', contentType: 'application/json' }));
  onTestFinished(() => emulator.close());
  return emulator;
}

function client(overrides: Partial<Record<keyof HttpOptions, unknown>> = {}): HttpClient {
  const options = httpOptionsSchema.parse({ rateLimit: { requestsPerSecond: 1000, burst: 1000 }, retry: { baseDelayMs: 20, maxDelayMs: 100 }, ...overrides });
  return createHttpClient(options, { rateLimiter: new RateLimiter(options.rateLimit) });
}

/** Milliseconds between the server's receipt of request i-1 and request i. */
const gaps = (emulator: HttpEmulator) => emulator.requests.slice(1).map((request, i) => request.at - emulator.requests[i]!.at);

describe('http client', () => {
  it('should retry 500s with backoff and return the first good response', async () => {
    const emulator = await server();
    emulator.inject({ kind: 'status', status: 500 }, { times: 2 });
    const response = await client().get(`${emulator.url}/x`);
    expect(response.body).toBe('{"ok":true}');
    expect(response.attempts).toBe(3);
    expect(emulator.requests.map((r) => r.status)).toEqual([500, 500, 200]);
    // Equal jitter: the waits are at least half the exponential step (20 ms, then 40 ms).
    const [first, second] = gaps(emulator);
    expect(first).toBeGreaterThanOrEqual(9);
    expect(second).toBeGreaterThanOrEqual(19);
  });

  it('should honour Retry-After in seconds on a 429, measured at the server', async () => {
    const emulator = await server();
    emulator.inject({ kind: 'status', status: 429, retryAfter: '1' });
    const response = await client().get(`${emulator.url}/x`);
    expect(response.status).toBe(200);
    expect(response.waitedMs).toBe(1000);
    const [gap] = gaps(emulator);
    expect(gap).toBeGreaterThanOrEqual(990);
  });

  it('should honour Retry-After as an HTTP-date', async () => {
    const emulator = await server();
    // HTTP-dates have whole seconds: the start of the second after next is one to two seconds away.
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 2000).toUTCString();
    emulator.inject({ kind: 'status', status: 503, retryAfter: at });
    await client().get(`${emulator.url}/x`);
    const [gap] = gaps(emulator);
    expect(gap).toBeGreaterThanOrEqual(900);
    // Generous, since a busy machine delays timers: it fails only if the date were read as much later.
    expect(gap).toBeLessThan(10_000);
  });

  it('should time out a slow response and retry it', async () => {
    const emulator = await server();
    emulator.inject({ kind: 'delay', ms: 1000 });
    const response = await client({ timeoutMs: 200 }).get(`${emulator.url}/x`);
    // The delayed response would have come after 1 s: a second attempt means the first one timed out.
    expect(response.attempts).toBe(2);
    expect(emulator.requests).toHaveLength(2);
  });

  it('should retry a connection reset mid-body', async () => {
    const emulator = await server();
    emulator.inject({ kind: 'reset', bytes: 3 });
    const response = await client().get(`${emulator.url}/x`);
    expect(response.body).toBe('{"ok":true}');
    expect(response.attempts).toBe(2);
  });

  it('should give up after maxAttempts with a retryable SOURCE_UNAVAILABLE naming the URL', async () => {
    const emulator = await server();
    emulator.inject({ kind: 'status', status: 502 }, { times: 10 });
    const error = await rejection(client({ retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } }).get(`${emulator.url}/down`), 'SOURCE_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`${emulator.url}/down`);
    expect(error.message).toContain('after 3 attempts: last status 502');
    expect(emulator.requests).toHaveLength(3);
  });

  it('should not retry a 404, and say so without waiting', async () => {
    const emulator = await server();
    emulator.inject({ kind: 'status', status: 404 });
    const error = await rejection(client().get(`${emulator.url}/gone`), 'SOURCE_INVALID_RESPONSE');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('status 404');
    expect(emulator.requests).toHaveLength(1);
  });

  it('should fail at once when Retry-After asks for longer than maxRetryAfterMs', async () => {
    const emulator = await server();
    emulator.inject({ kind: 'status', status: 429, retryAfter: '3600' });
    const error = await rejection(client({ retry: { maxRetryAfterMs: 5000 } }).get(`${emulator.url}/x`), 'SOURCE_UNAVAILABLE');
    expect(error.message).toContain('retry after 3600 s');
    expect(emulator.requests).toHaveLength(1);
  });

  it('should send the configured User-Agent', async () => {
    const emulator = await server();
    await client({ userAgent: 'TestBot/9 (+https://example.org/bot)' }).get(`${emulator.url}/x`);
    expect(emulator.requests[0]!.userAgent).toBe('TestBot/9 (+https://example.org/bot)');
  });

  it('should keep to the rate limit across requests', async () => {
    const emulator = await server();
    const http = client({ rateLimit: { requestsPerSecond: 10, burst: 1 } });
    for (let i = 0; i < 4; i += 1) await http.get(`${emulator.url}/x`);
    for (const gap of gaps(emulator)) expect(gap).toBeGreaterThanOrEqual(90);
  });

  it('should stop at once when the caller aborts, without retrying', async () => {
    const emulator = await server();
    emulator.inject({ kind: 'delay', ms: 2000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('shutting down')), 100);
    await expect(client().get(`${emulator.url}/x`, { signal: controller.signal })).rejects.toThrow('shutting down');
    expect(emulator.requests).toHaveLength(1);
  });

  it('send inside retrying should retry a 503 and hand back the next answer unread, whatever its status', async () => {
    const emulator = await startHttpEmulator((url) => ({ status: url.pathname === '/gone' ? 404 : 200, body: 'streamed', contentType: 'text/plain' }));
    onTestFinished(() => emulator.close());
    emulator.inject({ kind: 'status', status: 503, retryAfter: '0' }, { path: '/file' });
    const http = client();
    const { value, attempts } = await http.retrying('download', undefined, () => http.send(`${emulator.url}/file`, { headers: { range: 'bytes=0-' } }));
    expect(attempts).toBe(2);
    expect(value.bodyUsed).toBe(false);
    expect(await value.text()).toBe('streamed');
    const gone = await http.send(`${emulator.url}/gone`);
    expect(gone.status).toBe(404);
    await gone.body?.cancel();
    expect(emulator.requests.map((r) => r.status)).toEqual([503, 200, 404]);
  });
});
