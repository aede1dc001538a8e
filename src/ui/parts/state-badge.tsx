import type { PartState } from '../types.ts';

const TONE: Record<PartState, string> = { running: 'ok', starting: 'info', restarting: 'bad', failed: 'bad', stopped: 'muted' };

export function StateBadge({ state }: { state: PartState }) {
  return <span className={`badge ${TONE[state]}`}>{state}</span>;
}

export type Health = 'healthy' | 'degraded' | 'failing';

export function HealthBadge({ health }: { health: Health }) {
  return <span className={`badge ${health === 'healthy' ? 'ok' : health === 'degraded' ? 'warn' : 'bad'}`}>{health}</span>;
}
