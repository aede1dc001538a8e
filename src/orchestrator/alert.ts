/** The alerts webhook: one JSON POST when a run fails for good. A failing webhook never fails the run. */
import type { LogLine, RunError, RunRecord } from './orchestrator.ts';

export interface Alert {
  run: RunRecord;
  taskId: string;
  attempt: number;
  error: RunError;
  logTail: LogLine[];
}

export async function postAlert(fetchFn: typeof fetch, url: string, alert: Alert): Promise<boolean> {
  try {
    const response = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'orchestrator:run:failed', ...alert }),
      signal: AbortSignal.timeout(10_000),
    });
    return response.ok;
  } catch {
    return false;
  }
}
