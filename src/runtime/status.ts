/** The short live status `tributary dev` prints: one line per part, counts and state, failures first. */
import type { PartStatus } from './supervise.ts';

const ORDER: Record<PartStatus['kind'], number> = { server: 0, source: 1, service: 2, 'stream-job': 3, archiver: 4, 'batch-job': 5 };

const int = (n: number) => n.toLocaleString('en-US');

export function partLine(part: PartStatus): string {
  const counts = Object.entries(part.counts)
    .map(([name, n]) => `${name} ${int(n)}`)
    .join(', ');
  const state = part.state === 'running' ? '' : ` [${part.state}${part.restarts > 0 ? `, ${part.restarts} restart${part.restarts === 1 ? '' : 's'}` : ''}]`;
  const error = part.lastError && part.state !== 'running' ? ` last error ${part.lastError.code}: ${part.lastError.message}` : '';
  const schedule = part.info.schedule ? ` (${part.info.schedule})` : '';
  const owner = part.pipeline ? `${part.pipeline}/` : '';
  return `  ${part.kind} ${owner}${part.name}${schedule}${state}: ${counts || '-'}${error}`;
}

export function statusLines(parts: readonly PartStatus[], elapsedSeconds: number): string[] {
  const failing = (p: PartStatus) => (p.state === 'restarting' || p.state === 'failed' ? 0 : 1);
  const sorted = [...parts].sort((a, b) => failing(a) - failing(b) || ORDER[a.kind] - ORDER[b.kind] || a.name.localeCompare(b.name));
  const problems = parts.filter((p) => failing(p) === 0).length;
  return [`[${elapsedSeconds.toFixed(0)} s] ${parts.length} parts${problems > 0 ? `, ${problems} failing` : ', all healthy'}`, ...sorted.map(partLine)];
}
