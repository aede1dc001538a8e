/**
 * The CLI's side of the local API (api-routes.ts): a `LogView` that reads through a running
 * process's server, plus the few other calls the commands make. Errors the server answers with come
 * back as TributaryErrors with the server's code and message; a server that does not answer is
 * DEV_UNREACHABLE.
 */
import { TributaryError, errorCodes, type ErrorCode } from '../../errors.ts';
import type { PartitionLag, ProducerRecord, RecordPosition, TopicDescription } from '../../log/log.ts';
import type { GroupLag } from './api-routes.ts';
import type { LogView, ReadRequest, ReadResult } from './log-view.ts';

export interface ApiClient {
  readonly url: string;
  get<T>(path: string): Promise<T>;
  send<T>(method: 'POST' | 'DELETE', path: string, payload?: unknown): Promise<T>;
}

export function apiClient(url: string, apiKey?: string): ApiClient {
  const headers: Record<string, string> = apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` };
  const call = async <T>(method: string, path: string, payload?: unknown): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(`${url}${path}`, {
        method,
        headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      throw new TributaryError('DEV_UNREACHABLE', `the running Tributary process at ${url} did not answer ${method} ${path}: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const answer = (parsed ?? {}) as { code?: string; message?: string };
      const code = answer.code !== undefined && answer.code in errorCodes ? (answer.code as ErrorCode) : 'INTERNAL';
      throw new TributaryError(code, answer.message ?? `${method} ${path} answered ${response.status}`);
    }
    return parsed as T;
  };
  return {
    url,
    get: (path) => call('GET', path),
    send: (method, path, payload) => call(method, path, payload),
  };
}

const enc = encodeURIComponent;

export function remoteLogView(client: ApiClient, backend: string): LogView {
  return {
    backend,
    via: client.url,
    listTopics: async () => (await client.get<{ topics: TopicDescription[] }>('/api/topics')).topics.map((t) => t.name),
    describeTopic: (topic) => client.get<TopicDescription>(`/api/topics/${enc(topic)}`),
    createTopic: async (topic, partitions) => void (await client.send('POST', '/api/topics', { name: topic, partitions })),
    deleteTopic: async (topic) => void (await client.send('DELETE', `/api/topics/${enc(topic)}`)),
    groupLag: async (group) => (await client.get<{ groups: GroupLag[] }>(`/api/lag?group=${enc(group)}`)).groups[0]?.partitions ?? ([] as PartitionLag[]),
    read: (request: ReadRequest) => {
      const offsets = request.offsets ? Object.entries(request.offsets).map(([p, o]) => `${p}:${o}`).join(',') : '';
      const query = `from=${enc(String(request.from))}&max=${request.max}&waitMs=${request.waitMs ?? 0}${offsets ? `&offsets=${enc(offsets)}` : ''}`;
      return client.get<ReadResult>(`/api/topics/${enc(request.topic)}/records?${query}`);
    },
    produce: async (records: readonly ProducerRecord[]) => {
      const byTopic = new Map<string, ProducerRecord[]>();
      for (const record of records) byTopic.set(record.topic, [...(byTopic.get(record.topic) ?? []), record]);
      const positions: RecordPosition[] = [];
      for (const [topic, list] of byTopic) {
        const payload = { records: list.map((r) => ({ key: r.key?.toString('utf8') ?? null, value: r.value?.toString('utf8') ?? null, ...(r.partition === undefined ? {} : { partition: r.partition }) })) };
        positions.push(...(await client.send<{ positions: RecordPosition[] }>('POST', `/api/topics/${enc(topic)}/records`, payload)).positions);
      }
      return positions;
    },
    close: () => Promise.resolve(),
  };
}
