/**
 * The page's client of the server's JSON API (`/api/`): every call sends the API key the user
 * entered (kept for the tab in sessionStorage), and a 401 raises `ApiError` with status 401, on which
 * the app asks for the key.
 */
const KEY = 'tributary.apiKey';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function apiKey(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function setApiKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

export function authHeaders(): Record<string, string> {
  const key = apiKey();
  return key === undefined ? {} : { authorization: `Bearer ${key}` };
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(path, { ...init, headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}), ...authHeaders(), ...init.headers } });
  const text = await response.text();
  const data: unknown = text === '' ? undefined : JSON.parse(text);
  if (!response.ok) {
    const error = (data ?? {}) as { code?: string; message?: string };
    throw new ApiError(response.status, error.code ?? 'ERROR', error.message ?? `${response.status} ${response.statusText}`);
  }
  return data as T;
}
