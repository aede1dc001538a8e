import { describe, expect, it } from 'vitest';
import { packageShow } from '../../../src/sources/ckan/ckan-api.ts';
import type { HttpClient } from '../../../src/sources/http/http-client.ts';
import { rejection } from '../../support/errors.ts';

/** A client that answers every GET with this JSON body and status 200. */
function answering(json: unknown): HttpClient {
  return {
    get: (url) => Promise.resolve({ url, status: 200, headers: new Headers(), body: JSON.stringify(json), attempts: 1, waitedMs: 0 }),
    send: () => Promise.reject(new Error('not used')),
    retrying: () => Promise.reject(new Error('not used')),
  };
}

const signal = new AbortController().signal;
const resource = { id: 'r1', name: 'file', url: 'http://127.0.0.1/file.csv', format: 'CSV' };

describe('packageShow', () => {
  it('should name the missing field when a package in the answer has no id', async () => {
    const error = await rejection(packageShow(answering({ success: true, result: { name: 'pkg', resources: [resource] } }), 'http://127.0.0.1:1', 'pkg', signal));
    expect(error.code).toBe('SOURCE_INVALID_RESPONSE');
    expect(error.message).toMatch(/not a CKAN package_show response: result\.id: Invalid input: expected string, received undefined$/);
  });

  it('should name the resource and field when a resource has no id', async () => {
    const { id: _id, ...withoutId } = resource;
    const error = await rejection(packageShow(answering({ success: true, result: { id: 'p1', name: 'pkg', resources: [withoutId] } }), 'http://127.0.0.1:1', 'pkg', signal));
    expect(error.message).toMatch(/: result\.resources\.0\.id: Invalid input/);
  });

  it('should say that success is missing when the body is some other JSON', async () => {
    const error = await rejection(packageShow(answering({ items: [] }), 'http://127.0.0.1:1', 'pkg', signal));
    expect(error.message).toMatch(/not a CKAN package_show response: success: /);
  });

  it('should return the package of a well-formed answer', async () => {
    const result = await packageShow(answering({ success: true, result: { id: 'p1', name: 'pkg', resources: [resource] } }), 'http://127.0.0.1:1', 'pkg', signal);
    expect(result).toMatchObject({ id: 'p1', name: 'pkg', resources: [resource] });
  });
});
