/**
 * Live samples of the parts' counts and the groups' lag: the recent history once
 * (`GET /api/ui/history`), then each new sample as the server pushes it (`GET /api/ui/events`,
 * server-sent events read through fetch so that the API key goes in a header). A dropped stream is
 * opened again after a pause that grows to 10 s.
 */
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { api } from './api.ts';
import { followEvents } from './sse.ts';
import type { Sample } from './types.ts';

const KEEP = 300;

interface Live {
  samples: Sample[];
  connected: boolean;
}

const LiveContext = createContext<Live>({ samples: [], connected: false });

export function useLive(): Live {
  return useContext(LiveContext);
}

export function LiveProvider({ children, enabled }: { children: ReactNode; enabled: boolean }) {
  const [samples, setSamples] = useState<Sample[]>([]);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    if (!enabled) return;
    const stop = new AbortController();
    const add = (s: Sample) => setSamples((prev) => (prev.length > 0 && prev[prev.length - 1]!.at >= s.at ? prev : [...prev.slice(-(KEEP - 1)), s]));
    void (async () => {
      try {
        const { samples: history } = await api<{ samples: Sample[] }>('/api/ui/history', { signal: stop.signal });
        setSamples(history.slice(-KEEP));
      } catch {
        // The stream below fills in.
      }
      await followEvents<Sample>('/api/ui/events', stop.signal, add, setConnected);
    })();
    return () => stop.abort();
  }, [enabled]);
  return <LiveContext.Provider value={{ samples, connected }}>{children}</LiveContext.Provider>;
}

/** Per second, between consecutive samples, of one count of one part. */
export function rates(samples: readonly Sample[], part: string, count: string): number[] {
  const out: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const before = a.parts[part]?.counts[count];
    const after = b.parts[part]?.counts[count];
    if (before === undefined || after === undefined) continue;
    out.push(Math.max(0, (after - before) / ((b.at - a.at) / 1000)));
  }
  return out;
}

export function latest(samples: readonly Sample[]): Sample | undefined {
  return samples[samples.length - 1];
}
