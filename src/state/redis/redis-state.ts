/**
 * The Redis state store, on ioredis (imported inside `openRedisStateStore`, so importing this module
 * loads nothing and connects nowhere).
 *
 * Key layout: one hash per namespace, `<keyPrefix>state:<namespace>`, whose fields are the keys.
 * Every call touches exactly one Redis key, which is what makes each call atomic (and would keep it
 * working on a cluster): `commit` is one MULTI/EXEC of an HSET and an HDEL on that hash, `checkAndSet`
 * one Lua script, `clear` one DEL.
 *
 * Failure behaviour: a dead server fails a call within seconds (a short connect timeout, two
 * reconnect attempts per call, a command timeout), never hangs it. A call whose connection dropped
 * after it was sent is not sent again by the driver: it may or may not have been applied (atomically
 * either way), and retrying it is the caller's decision.
 */
import type { Redis } from 'ioredis';
import { TributaryError } from '../../errors.ts';
import { checkName, checkValue } from '../state-input.ts';
import type { Fingerprint, StateStore } from '../state.ts';
import { describeRedisUrl, toRedisStateError } from './redis-state-errors.ts';

export interface RedisStateOptions {
  /** redis://[user@]host:port[/db] or rediss://... */
  url: string;
  /** AUTH password; overrides one in the URL. */
  password?: string;
  /** Prepended to every key this store writes, e.g. 'tributary:'. */
  keyPrefix: string;
  /** How long to wait for a TCP connection (per attempt). Default: 2000. */
  connectTimeoutMs?: number;
  /** How long a sent command may wait for its reply. Default: 10000. */
  commandTimeoutMs?: number;
}

/**
 * Atomic on the server: a script runs with nothing else in between, so of many concurrent calls with
 * one key exactly one sees it missing. Fields and fingerprints are compared as bytes.
 */
const CHECK_AND_SET = `
local previous = redis.call('HGET', KEYS[1], ARGV[1])
if previous == ARGV[2] then return 'unchanged' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if previous then return 'changed' end
return 'new'`;

/** The script as a client command (defineCommand sends EVALSHA and falls back to EVAL). */
interface ScriptedClient extends Redis {
  tributaryStateCheckAndSet(hash: string, key: string, fingerprint: string): Promise<unknown>;
}

/** Reconnect attempts a queued command waits through before it fails. */
const RETRIES_PER_CALL = 2;

export async function openRedisStateStore(options: RedisStateOptions): Promise<StateStore> {
  const where = describeRedisUrl(options.url);
  const { Redis } = await import('ioredis');
  const connection: { lastError?: Error } = {};
  let client: Redis;
  try {
    // ioredis lets credentials in the URL (even an empty password) win over its options, so they
    // are taken out of the URL and passed as options, where `password` can override the URL's.
    const parsed = new URL(options.url);
    const username = decodeURIComponent(parsed.username);
    const password = options.password ?? decodeURIComponent(parsed.password);
    parsed.username = '';
    parsed.password = '';
    client = new Redis(parsed.href, {
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      lazyConnect: true,
      connectionName: 'tributary-state',
      connectTimeout: options.connectTimeoutMs ?? 2000,
      commandTimeout: options.commandTimeoutMs ?? 10_000,
      maxRetriesPerRequest: RETRIES_PER_CALL,
      // Capped low: a call waits through RETRIES_PER_CALL of these delays when the server is down.
      retryStrategy: (attempt) => Math.min(attempt * 200, 1000),
      // Replaying a MULTI/EXEC or a checkAndSet after a lost reply could apply it twice (a second
      // checkAndSet would answer 'unchanged' for a key nobody has seen): fail it instead.
      autoResendUnfulfilledCommands: false,
    });
  } catch (error) {
    throw new TributaryError('STATE_UNAVAILABLE', `redis state: cannot use ${where}: ${(error as Error).message}`, { cause: error, retryable: false });
  }
  // Without a listener ioredis prints every socket error; keep the last one for messages instead.
  client.on('error', (error: Error) => (connection.lastError = error));
  client.on('ready', () => delete connection.lastError);
  client.defineCommand('tributaryStateCheckAndSet', { numberOfKeys: 1, lua: CHECK_AND_SET });
  try {
    // Connect now, so an unreachable server or a wrong password fails at open, not at the first call.
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw toRedisStateError(error, where, 'open', connection.lastError);
  }
  return new RedisStateStore(client as ScriptedClient, options.keyPrefix, where, connection);
}

class RedisStateStore implements StateStore {
  readonly backend = 'redis';
  private readonly client: ScriptedClient;
  private readonly keyPrefix: string;
  private readonly where: string;
  private readonly connection: { lastError?: Error };
  private closed = false;

  constructor(client: ScriptedClient, keyPrefix: string, where: string, connection: { lastError?: Error }) {
    this.client = client;
    this.keyPrefix = keyPrefix;
    this.where = where;
    this.connection = connection;
  }

  private hash(namespace: string): string {
    checkName('namespace', namespace);
    return `${this.keyPrefix}state:${namespace}`;
  }

  get(namespace: string, key: string): Promise<Buffer | undefined> {
    return this.run('get', async () => {
      const hash = this.hash(namespace);
      checkName('key', key);
      return (await this.client.hgetBuffer(hash, key)) ?? undefined;
    });
  }

  getMany(namespace: string, keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    return this.run('getMany', async () => {
      const hash = this.hash(namespace);
      for (const key of keys) checkName('key', key);
      if (keys.length === 0) return [];
      const values = await this.client.hmgetBuffer(hash, ...keys);
      return values.map((value) => value ?? undefined);
    });
  }

  commit(namespace: string, changes: ReadonlyMap<string, Buffer | undefined>): Promise<void> {
    return this.run('commit', async () => {
      const hash = this.hash(namespace);
      const puts: (string | Buffer)[] = [];
      const deletes: string[] = [];
      // Checked before anything is sent: a bad change means nothing is applied.
      for (const [key, value] of changes) {
        checkName('key', key);
        if (value === undefined) {
          deletes.push(key);
        } else {
          checkValue(key, value);
          puts.push(key, value);
        }
      }
      if (puts.length === 0 && deletes.length === 0) return;
      const transaction = this.client.multi();
      if (puts.length > 0) transaction.hset(hash, ...puts);
      if (deletes.length > 0) transaction.hdel(hash, ...deletes);
      const results = await transaction.exec();
      // Both commands touch the one hash, so they fail together (wrong type, out of memory: EXECABORT
      // rejects exec itself) — an error here means nothing was applied.
      const failed = results?.find(([error]) => error !== null)?.[0];
      if (results === null || failed) throw failed ?? new Error('the transaction was discarded');
    });
  }

  entries(namespace: string, prefix = ''): Promise<[string, Buffer][]> {
    return this.run('entries', async () => {
      const hash = this.hash(namespace);
      checkName('prefix', prefix);
      // HGETALL is one atomic read; the raw reply keeps fields as bytes, which is the order we want.
      const flat = (await this.client.callBuffer('HGETALL', hash)) as Buffer[];
      const wanted = Buffer.from(prefix, 'utf8');
      const found: [Buffer, Buffer][] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const field = flat[i]!;
        if (field.length >= wanted.length && field.subarray(0, wanted.length).equals(wanted)) found.push([field, flat[i + 1]!]);
      }
      // UTF-8 byte order is code point order, the order SQLite keeps in the embedded store.
      found.sort(([a], [b]) => Buffer.compare(a, b));
      return found.map(([field, value]): [string, Buffer] => [field.toString('utf8'), value]);
    });
  }

  checkAndSet(namespace: string, key: string, fingerprint: string): Promise<Fingerprint> {
    return this.run('checkAndSet', async () => {
      const hash = this.hash(namespace);
      checkName('key', key);
      checkName('fingerprint', fingerprint);
      const answer = await this.client.tributaryStateCheckAndSet(hash, key, fingerprint);
      if (answer !== 'new' && answer !== 'changed' && answer !== 'unchanged') {
        throw new TributaryError('INTERNAL', `redis state: checkAndSet got an unexpected answer ${JSON.stringify(answer)}`);
      }
      return answer;
    });
  }

  clear(namespace: string): Promise<void> {
    return this.run('clear', async () => {
      await this.client.del(this.hash(namespace));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.client.status !== 'ready') {
      // Nothing to say goodbye to, and QUIT would wait through the reconnect attempts.
      this.client.disconnect();
      return;
    }
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private async run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    if (this.closed) throw new TributaryError('STATE_CLOSED', `redis state: ${operation} on ${this.where} after close()`);
    try {
      return await work();
    } catch (error) {
      throw toRedisStateError(error, this.where, operation, this.connection.lastError);
    }
  }
}
