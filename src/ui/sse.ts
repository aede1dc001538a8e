/** Reads a server-sent event stream through fetch (so that the API key goes in a header), calling `onData` with each event's parsed data. */
import { ApiError, authHeaders } from './api.ts';

export async function readEvents<T>(path: string, signal: AbortSignal, onData: (data: T) => void, onOpen: () => void = () => undefined): Promise<void> {
  const response = await fetch(path, { headers: { accept: 'text/event-stream', ...authHeaders() }, signal });
  if (!response.ok || !response.body) throw new ApiError(response.status, 'EVENTS', `event stream ${path}: ${response.status}`);
  onOpen();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      if (data !== '') onData(JSON.parse(data) as T);
    }
  }
}

/**
 * Follows an event stream until `signal` aborts: opened again after a drop, after a pause that grows
 * from 0.5 s to 10 s; `onConnected` says whether it is open now.
 */
export async function followEvents<T>(path: string, signal: AbortSignal, onData: (data: T) => void, onConnected: (connected: boolean) => void): Promise<void> {
  let pause = 500;
  while (!signal.aborted) {
    try {
      await readEvents<T>(path, signal, onData, () => {
        onConnected(true);
        pause = 500;
      });
    } catch {
      // Open it again below.
    }
    onConnected(false);
    if (signal.aborted) return;
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(10_000, pause * 2);
  }
}
