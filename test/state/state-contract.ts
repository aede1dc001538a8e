/**
 * The conformance suite every state backend passes: `describeStateContract(name, factory)`.
 * The factory makes one storage per test (a file, a key prefix); its `open()` may be called again
 * after a close, as a restarted process would, and `cleanup()` removes what the storage holds.
 */
import { onTestFinished, describe, expect, it } from 'vitest';
import type { StateStore } from '../../src/state/state.ts';
import { rejection } from '../support/errors.ts';

export interface StateFixture {
  open(): Promise<StateStore>;
  cleanup(): Promise<void>;
}

const text = (value: string) => Buffer.from(value, 'utf8');
const changes = (entries: [string, string | undefined][]) => new Map(entries.map(([key, value]) => [key, value === undefined ? undefined : text(value)]));
const asText = (entries: [string, Buffer][]) => entries.map(([key, value]): [string, string] => [key, value.toString('utf8')]);
/** UTF-8 byte order, which is code point order: the order `entries` promises. */
const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

export function describeStateContract(name: string, factory: () => StateFixture | Promise<StateFixture>): void {
  describe(`${name} state contract`, () => {
    /** A fresh storage for this test; every store opened on it is closed, and the storage removed, when the test ends. */
    async function storage(): Promise<{ open: () => Promise<StateStore> }> {
      const fixture = await factory();
      const opened: StateStore[] = [];
      onTestFinished(async () => {
        for (const store of opened) await store.close();
        await fixture.cleanup();
      });
      return {
        open: async () => {
          const store = await fixture.open();
          opened.push(store);
          return store;
        },
      };
    }
    const openStore = async () => (await storage()).open();

    it('commit should put, overwrite and delete keys', async () => {
      const store = await openStore();
      await store.commit('ns', changes([['a', '1'], ['b', '2'], ['c', '3']]));
      expect((await store.get('ns', 'a'))?.toString()).toBe('1');
      await store.commit('ns', changes([['a', 'one'], ['b', undefined], ['missing', undefined]]));
      expect((await store.get('ns', 'a'))?.toString()).toBe('one');
      expect(await store.get('ns', 'b')).toBeUndefined();
      expect(await store.get('ns', 'missing')).toBeUndefined();
      expect(asText(await store.entries('ns'))).toEqual([['a', 'one'], ['c', '3']]);
    });

    it('a commit with no changes should change nothing', async () => {
      const store = await openStore();
      await store.commit('ns', changes([['a', '1']]));
      await store.commit('ns', new Map());
      expect(asText(await store.entries('ns'))).toEqual([['a', '1']]);
    });

    it('getMany should answer in the order asked, with undefined for missing keys', async () => {
      const store = await openStore();
      await store.commit('ns', changes([['a', '1'], ['c', '3']]));
      const values = await store.getMany('ns', ['c', 'missing', 'a', 'c', 'b']);
      expect(values.map((v) => v?.toString())).toEqual(['3', undefined, '1', '3', undefined]);
      expect(await store.getMany('ns', [])).toEqual([]);
      expect(await store.getMany('other', ['a'])).toEqual([undefined]);
    });

    it('should keep every byte value, an empty value and a large value intact', async () => {
      const store = await openStore();
      const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const large = Buffer.alloc(2 * 1024 * 1024, everyByte);
      await store.commit('bin', new Map([['every-byte', everyByte], ['empty', Buffer.alloc(0)], ['large', large], ['nul', Buffer.from([0])]]));
      const [a, b, c, d] = await store.getMany('bin', ['every-byte', 'empty', 'large', 'nul']);
      expect(a).toEqual(everyByte);
      expect(Buffer.isBuffer(a)).toBe(true);
      expect(b).toEqual(Buffer.alloc(0));
      expect(c?.equals(large)).toBe(true);
      expect(d).toEqual(Buffer.from([0]));
      expect(Buffer.isBuffer(await store.get('bin', 'empty'))).toBe(true);
    });

    it('should keep unicode keys apart and list them in code point order', async () => {
      const store = await openStore();
      // U+FFFD sorts after U+1F600 in UTF-16 but before it by code point; 'e' + U+0301 is not 'é'.
      const keys = ['z', 'é', 'e\u0301', 'ß', '日本', '😀', '\uFFFD', '\uE000', 'Z', '', 'a b', 'a\u0000b', 'naïve/κλειδί'];
      await store.commit('unicode', new Map(keys.map((key, i) => [key, text(`v${i}`)])));
      const listed = await store.entries('unicode');
      expect(listed.map(([key]) => key)).toEqual([...keys].sort(byCodePoint));
      for (const [key, value] of listed) expect(value.toString()).toBe(`v${keys.indexOf(key)}`);
      expect((await store.getMany('unicode', ['é', 'e\u0301', '😀'])).map((v) => v?.toString())).toEqual(['v1', 'v2', 'v5']);
      expect(asText(await store.entries('unicode', 'na'))).toEqual([['naïve/κλειδί', 'v12']]);
    });

    it('namespaces should be independent of each other', async () => {
      const store = await openStore();
      await store.commit('job.a/checkpoint', changes([['k', 'a'], ['only-a', 'x']]));
      await store.commit('job.a', changes([['k', 'parent']]));
      await store.commit('job.b/checkpoint', changes([['k', 'b']]));
      expect((await store.get('job.a/checkpoint', 'k'))?.toString()).toBe('a');
      expect((await store.get('job.b/checkpoint', 'k'))?.toString()).toBe('b');
      expect(await store.get('job.b/checkpoint', 'only-a')).toBeUndefined();
      expect(asText(await store.entries('job.a'))).toEqual([['k', 'parent']]);
      expect(await store.checkAndSet('job.b/checkpoint', 'only-a', 'f')).toBe('new');
      expect(asText(await store.entries('job.a/checkpoint'))).toEqual([['k', 'a'], ['only-a', 'x']]);
    });

    it('entries should list only the keys under a prefix, in key order', async () => {
      const store = await openStore();
      const keys = ['user:10', 'user:2', 'users', 'user', 'user:1', 'usex', 'usd', 'user:\u{10FFFF}', 'user;', 'a'];
      await store.commit('ns', new Map(keys.map((key) => [key, text(key.toUpperCase())])));
      expect(asText(await store.entries('ns', 'user:'))).toEqual([['user:1', 'USER:1'], ['user:10', 'USER:10'], ['user:2', 'USER:2'], ['user:\u{10FFFF}', 'USER:\u{10FFFF}']]);
      expect((await store.entries('ns', 'user')).map(([key]) => key)).toEqual(['user', 'user:1', 'user:10', 'user:2', 'user:\u{10FFFF}', 'user;', 'users']);
      expect((await store.entries('ns')).map(([key]) => key)).toEqual([...keys].sort(byCodePoint));
      expect(await store.entries('ns', 'nothing-here')).toEqual([]);
      expect(await store.entries('empty-namespace')).toEqual([]);
    });

    it('a commit with many changes should be visible as a whole', async () => {
      const store = await openStore();
      const first = new Map(Array.from({ length: 2000 }, (_, i) => [`k${String(i).padStart(4, '0')}`, text(`v1-${i}`)]));
      await store.commit('many', first);
      // Overwrite the even keys, delete the odd ones, add new ones: all in one commit.
      const second = new Map<string, Buffer | undefined>();
      for (let i = 0; i < 2000; i++) second.set(`k${String(i).padStart(4, '0')}`, i % 2 === 0 ? text(`v2-${i}`) : undefined);
      for (let i = 2000; i < 2500; i++) second.set(`k${i}`, text(`v2-${i}`));
      await store.commit('many', second);
      const listed = await store.entries('many');
      expect(listed).toHaveLength(1000 + 500);
      expect(listed.every(([, value]) => value.toString().startsWith('v2-'))).toBe(true);
    });

    it('a commit with an invalid change anywhere in it should apply nothing', async () => {
      const store = await openStore();
      await store.commit('ns', changes([['keep', 'old'], ['gone', 'old']]));
      const before = await store.entries('ns');
      const bad = new Map<string, Buffer | undefined>();
      for (let i = 0; i < 500; i++) bad.set(`new${i}`, text('new'));
      bad.set('keep', text('new'));
      bad.set('gone', undefined);
      bad.set('last', 'not a buffer' as unknown as Buffer);
      const error = await rejection(store.commit('ns', bad), 'INTERNAL');
      expect(error.message).toContain('"last"');
      expect(await store.entries('ns')).toEqual(before);
      // The store is still usable.
      await store.commit('ns', changes([['keep', 'newer']]));
      expect((await store.get('ns', 'keep'))?.toString()).toBe('newer');
    });

    it('checkAndSet should answer new, then unchanged, then changed', async () => {
      const store = await openStore();
      expect(await store.checkAndSet('fp', 'listing-1', 'price=100')).toBe('new');
      expect(await store.checkAndSet('fp', 'listing-1', 'price=100')).toBe('unchanged');
      expect(await store.checkAndSet('fp', 'listing-1', 'price=90')).toBe('changed');
      expect(await store.checkAndSet('fp', 'listing-1', 'price=90')).toBe('unchanged');
      expect(await store.checkAndSet('fp', 'listing-1', 'price=100')).toBe('changed');
      expect(await store.checkAndSet('fp', 'listing-2', 'price=100')).toBe('new');
      expect(await store.checkAndSet('fp-other', 'listing-1', 'price=100')).toBe('new');
      expect(await store.checkAndSet('fp', 'ключ', 'Δ✓')).toBe('new');
      expect(await store.checkAndSet('fp', 'ключ', 'Δ✓')).toBe('unchanged');
      // The fingerprint is the key's value, so the rest of the interface sees it.
      expect((await store.get('fp', 'listing-1'))?.toString()).toBe('price=100');
      await store.commit('fp', changes([['listing-2', undefined]]));
      expect(await store.checkAndSet('fp', 'listing-2', 'price=100')).toBe('new');
    });

    it('of 100 concurrent checkAndSet calls on one key exactly one should see it new', async () => {
      const store = await openStore();
      const same = await Promise.all(Array.from({ length: 100 }, () => store.checkAndSet('race', 'same', 'f')));
      expect(same.filter((r) => r === 'new')).toHaveLength(1);
      expect(same.filter((r) => r === 'unchanged')).toHaveLength(99);
      const distinct = await Promise.all(Array.from({ length: 100 }, (_, i) => store.checkAndSet('race', 'distinct', `f${i}`)));
      expect(distinct.filter((r) => r === 'new')).toHaveLength(1);
      expect(distinct.filter((r) => r === 'changed')).toHaveLength(99);
    });

    it('everything committed should survive close and reopen', async () => {
      const { open } = await storage();
      const store = await open();
      await store.commit('ckpt', changes([['offsets', '{"0":42}'], ['window', 'sum=7'], ['temp', 'x']]));
      await store.commit('ckpt', changes([['temp', undefined]]));
      expect(await store.checkAndSet('fp', 'item', 'v1')).toBe('new');
      await store.close();
      const reopened = await open();
      expect(asText(await reopened.entries('ckpt'))).toEqual([['offsets', '{"0":42}'], ['window', 'sum=7']]);
      expect(await reopened.checkAndSet('fp', 'item', 'v1')).toBe('unchanged');
    });

    it('clear should remove a namespace and nothing else', async () => {
      const store = await openStore();
      await store.commit('doomed', changes([['a', '1'], ['b', '2']]));
      await store.commit('doomed-not', changes([['a', '1']]));
      await store.checkAndSet('doomed', 'fp', 'x');
      await store.clear('doomed');
      expect(await store.entries('doomed')).toEqual([]);
      expect(await store.get('doomed', 'a')).toBeUndefined();
      expect(asText(await store.entries('doomed-not'))).toEqual([['a', '1']]);
      await store.clear('never-used');
      expect(await store.checkAndSet('doomed', 'fp', 'x')).toBe('new');
    });

    it('every call after close should reject with STATE_CLOSED, and close again should be harmless', async () => {
      const store = await openStore();
      await store.commit('ns', changes([['a', '1']]));
      await store.close();
      await store.close();
      await rejection(store.get('ns', 'a'), 'STATE_CLOSED');
      await rejection(store.getMany('ns', ['a']), 'STATE_CLOSED');
      await rejection(store.commit('ns', changes([['a', '2']])), 'STATE_CLOSED');
      await rejection(store.commit('ns', new Map()), 'STATE_CLOSED');
      await rejection(store.entries('ns'), 'STATE_CLOSED');
      await rejection(store.checkAndSet('ns', 'a', 'f'), 'STATE_CLOSED');
      await rejection(store.clear('ns'), 'STATE_CLOSED');
    });

    it('a key that is not a well-formed string should be rejected, not stored', async () => {
      const store = await openStore();
      await rejection(store.commit('ns', changes([['lone \uD800 surrogate', 'x']])), 'INTERNAL');
      await rejection(store.get('ns', 42 as unknown as string), 'INTERNAL');
      await rejection(store.checkAndSet('ns', '\uDFFF', 'f'), 'INTERNAL');
      expect(await store.entries('ns')).toEqual([]);
    });
  });
}
