import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { openStateStore } from '../../src/state/open-state.ts';
import { openRedisStateStore, type RedisStateOptions } from '../../src/state/redis/redis-state.ts';
import type { StateStore } from '../../src/state/state.ts';
import { rejection } from '../support/errors.ts';
import { endpoint, uniqueName } from '../support/services.ts';
import { describeStateContract } from './state-contract.ts';

const url = endpoint('TRIBUTARY_REDIS_URL');
/** For looking at what the store wrote, and deleting it afterwards. */
const admin = new Redis(url, { maxRetriesPerRequest: 2 });
afterAll(() => admin.quit());

async function deleteKeys(prefix: string): Promise<void> {
  // The prefix is a uniqueName: no glob characters in it.
  for await (const keys of admin.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
    if (keys.length > 0) await admin.del(...keys);
  }
}

/** A key prefix of this test's own, whose keys are deleted when the test ends. */
function testPrefix(): string {
  const prefix = `${uniqueName('state')}:`;
  onTestFinished(() => deleteKeys(prefix));
  return prefix;
}

/** A store that is closed when the test ends. */
async function openStore(options: Partial<RedisStateOptions> = {}): Promise<StateStore> {
  const store = await openRedisStateStore({ url, keyPrefix: options.keyPrefix ?? testPrefix(), ...options });
  onTestFinished(() => store.close());
  return store;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * A TCP proxy in front of Redis that the test can cut, as a dying server or network would. With
 * `dribble`, what the client sends reaches Redis in 16-byte pieces a millisecond apart, so the
 * commands of one call arrive (and, unless in a transaction, run) well apart from each other.
 */
async function proxy(options: { dribble?: boolean } = {}): Promise<{ url: string; cut: () => Promise<void> }> {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    upstream.pipe(client);
    if (!options.dribble) {
      client.pipe(upstream);
      return;
    }
    const pieces: Buffer[] = [];
    let pumping = false;
    client.on('data', (chunk: Buffer) => {
      for (let i = 0; i < chunk.length; i += 16) pieces.push(chunk.subarray(i, i + 16));
      if (pumping) return;
      pumping = true;
      void (async () => {
        for (let piece = pieces.shift(); piece && !upstream.destroyed; piece = pieces.shift()) {
          upstream.write(piece);
          await sleep(1);
        }
        pumping = false;
      })();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const cut = async () => {
    if (!server.listening) return;
    const closed = once(server, 'close');
    server.close();
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  onTestFinished(cut);
  return { url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}${target.pathname}`, cut };
}

describeStateContract('redis', () => {
  const keyPrefix = `${uniqueName('state')}:`;
  return {
    open: () => openRedisStateStore({ url, keyPrefix }),
    cleanup: () => deleteKeys(keyPrefix),
  };
});

describe('the Redis state store', () => {
  it('should keep a namespace in one hash under the key prefix', async () => {
    const keyPrefix = testPrefix();
    const store = await openStore({ keyPrefix });
    await store.commit('job.a/checkpoint', new Map([['offsets', Buffer.from('{"0":1}')]]));
    await store.checkAndSet('scraper.x/fp', 'item-1', 'abc');
    expect((await admin.keys(`${keyPrefix}*`)).sort()).toEqual([`${keyPrefix}state:job.a/checkpoint`, `${keyPrefix}state:scraper.x/fp`]);
    expect(await admin.type(`${keyPrefix}state:job.a/checkpoint`)).toBe('hash');
    expect(await admin.hget(`${keyPrefix}state:scraper.x/fp`, 'item-1')).toBe('abc');
    await store.clear('job.a/checkpoint');
    expect(await admin.exists(`${keyPrefix}state:job.a/checkpoint`)).toBe(0);
  });

  it('a concurrent reader should never see part of a commit', { timeout: 60_000 }, async () => {
    const keyPrefix = testPrefix();
    // The writer's commands trickle in, so a commit that was not one transaction would be seen half done.
    const slow = await proxy({ dribble: true });
    const writer = await openStore({ keyPrefix, url: slow.url });
    const reader = await openStore({ keyPrefix });
    // Each commit overwrites 50 keys and swaps one key for another: an HSET and an HDEL together.
    const version = (v: number) => {
      const changes = new Map<string, Buffer | undefined>(Array.from({ length: 50 }, (_, i) => [`k${i}`, Buffer.from(`v${v}`)]));
      changes.set(`swap-${v - 1}`, undefined);
      changes.set(`swap-${v}`, Buffer.from(`v${v}`));
      return changes;
    };
    await writer.commit('ckpt', version(0));
    let writing = true;
    const writes = (async () => {
      for (let v = 1; v <= 20; v++) await writer.commit('ckpt', version(v));
      writing = false;
    })();
    const seen = new Set<string>();
    let reads = 0;
    while (writing) {
      const [listed, some] = await Promise.all([reader.entries('ckpt'), reader.getMany('ckpt', ['k0', 'k25', 'k49'])]);
      const versions = new Set(listed.map(([, value]) => value.toString()));
      expect([...versions], `read ${reads} mixed commits`).toHaveLength(1);
      const [current] = versions;
      expect(listed.filter(([key]) => key.startsWith('swap-')).map(([key]) => key), `read ${reads} saw half a commit`).toEqual([`swap-${current!.slice(1)}`]);
      expect(listed).toHaveLength(51);
      expect(new Set(some.map((value) => value?.toString())).size, `getMany ${reads} mixed commits`).toBe(1);
      seen.add(current!);
      reads++;
    }
    await writes;
    // The reader really ran alongside the writer, seeing most commits.
    expect(seen.size).toBeGreaterThan(10);
  });

  it('of concurrent checkAndSet calls from several connections exactly one should see a key new', async () => {
    const keyPrefix = testPrefix();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore({ keyPrefix })));
    const answers = await Promise.all(stores.flatMap((store) => Array.from({ length: 50 }, (_, i) => store.checkAndSet('race', `key-${i % 5}`, 'same'))));
    for (let key = 0; key < 5; key++) {
      expect(answers.filter((a, i) => i % 5 === key && a === 'new')).toHaveLength(1);
    }
    expect(answers.filter((a) => a === 'unchanged')).toHaveLength(200 - 5);
  });

  it('should fail to open with STATE_UNAVAILABLE within seconds when nothing listens', async () => {
    const port = await closedPort();
    const started = Date.now();
    const error = await rejection(openRedisStateStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'unused:' }), 'STATE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.cause).toBeDefined();
  });

  it('a call should fail with STATE_UNAVAILABLE within seconds when the server goes away, and not hang', async () => {
    const { url: proxied, cut } = await proxy();
    const store = await openStore({ url: proxied });
    await store.commit('ns', new Map([['a', Buffer.from('1')]]));
    await cut();
    for (const call of [() => store.get('ns', 'a'), () => store.commit('ns', new Map([['a', Buffer.from('2')]])), () => store.checkAndSet('ns', 'b', 'f')]) {
      const started = Date.now();
      const error = await rejection(call(), 'STATE_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(5000);
      expect(error.retryable).toBe(true);
    }
    const started = Date.now();
    await store.close();
    // Well under the 10 s command timeout: close does not wait for a server that is gone.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('should log in with a password, and refuse a wrong one at open without a retry', async () => {
    const keyPrefix = testPrefix();
    const user = uniqueName('state_user');
    const password = uniqueName('secret');
    // A user of this test's own, allowed only its own keys.
    await admin.call('ACL', 'SETUSER', user, 'on', `>${password}`, `~${keyPrefix}*`, '+@all');
    onTestFinished(async () => {
      await admin.call('ACL', 'DELUSER', user);
    });
    const withUser = new URL(url);
    withUser.username = user;
    const store = await openStore({ url: withUser.href, password, keyPrefix });
    await store.commit('ns', new Map([['a', Buffer.from('1')]]));
    expect((await store.get('ns', 'a'))?.toString()).toBe('1');

    const error = await rejection(openRedisStateStore({ url: withUser.href, password: 'wrong', keyPrefix }), 'STATE_UNAVAILABLE');
    expect(error.retryable).toBe(false);
    expect(error.message).not.toContain('wrong');
    // A key outside the user's pattern is refused by the server, and said to need a fix, not a retry.
    const outside = await openStore({ url: withUser.href, password, keyPrefix: 'not-mine:' });
    const refused = await rejection(outside.get('ns', 'a'), 'STATE_UNAVAILABLE');
    expect(refused.retryable).toBe(false);
  });

  it('openStateStore should open the Redis store the config names', async () => {
    const keyPrefix = testPrefix();
    const config = configSchema.parse({ state: { backend: 'redis' }, redis: { url, keyPrefix } });
    const store = await openStateStore(config);
    onTestFinished(() => store.close());
    expect(store.backend).toBe('redis');
    await store.commit('ns', new Map([['a', Buffer.from('1')]]));
    expect(await admin.hget(`${keyPrefix}state:ns`, 'a')).toBe('1');
  });
});
