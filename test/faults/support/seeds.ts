/**
 * The seeds a fault scenario repeats over: TRIBUTARY_FAULT_SEEDS of them (default 20, or the
 * scenario's own default) from
 * TRIBUTARY_FAULT_SEED_BASE (default 1), or the one TRIBUTARY_FAULT_SEED names, to replay a failure.
 * Each scenario prints its seed's plan of faults before it runs it.
 */
import { seeded as mulberry } from '../../orchestrator/fault-processes.ts';

/** A generator for `seed`; the seed is scrambled first, since neighbouring seeds start out alike. */
export function seeded(seed: number): () => number {
  return mulberry(Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1));
}

export function faultSeeds(defaultCount = 20): number[] {
  const replay = process.env.TRIBUTARY_FAULT_SEED;
  if (replay !== undefined) return [Number(replay)];
  const count = Number(process.env.TRIBUTARY_FAULT_SEEDS ?? defaultCount);
  const base = Number(process.env.TRIBUTARY_FAULT_SEED_BASE ?? 1);
  return Array.from({ length: count }, (_, i) => base + i);
}

/** Prints one line of a seed's plan, so that the log shows what was done before a failure. */
export function plan(scenario: string, seed: number, text: string): void {
  process.stdout.write(`[faults] ${scenario} seed ${seed}: ${text} (replay: TRIBUTARY_FAULT_SEED=${seed} npm run test:faults -- test/faults/${scenario}.faults.test.ts)\n`);
}
