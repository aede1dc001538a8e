/**
 * The HTTP settings every HTTP source shares (http-poll, scraper): who we say we are, how long we
 * wait, how often we retry and how fast we go. Part of each source's own config schema.
 */
import { z } from 'zod';

export const retrySchema = z
  .strictObject({
    maxAttempts: z.number().int().min(1).default(5).describe('Attempts per request, the first included'),
    baseDelayMs: z.number().int().min(0).default(250).describe('First backoff step; doubles each retry (with jitter)'),
    maxDelayMs: z.number().int().min(0).default(30_000).describe('Largest backoff step'),
    maxRetryAfterMs: z
      .number()
      .int()
      .min(0)
      .default(120_000)
      .describe('Longest Retry-After the source will sleep through; a longer one fails the request (retryable)'),
  })
  .prefault({});

export const rateLimitSchema = z
  .strictObject({
    requestsPerSecond: z.number().positive().default(1).describe('Sustained request rate (token bucket refill)'),
    burst: z.number().int().min(1).default(1).describe('Requests allowed back to back before the rate applies'),
  })
  .prefault({});

export const httpOptionsSchema = z.strictObject({
  userAgent: z.string().min(1).default('TributaryBot/0.1').describe('User-Agent header; its first word is the robots.txt product token'),
  timeoutMs: z.number().int().positive().default(10_000).describe('Per attempt: connect, headers and body together'),
  retry: retrySchema,
  rateLimit: rateLimitSchema,
});

export type HttpOptions = z.output<typeof httpOptionsSchema>;
