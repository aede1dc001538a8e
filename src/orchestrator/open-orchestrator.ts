/**
 * The orchestrator the config names: with `metadata.backend` embedded, the SQLite run store under
 * the data directory and the in-process executor; with postgres, the PostgreSQL run store and the
 * graphile-worker queue in the same database, and an advisory-lock leadership for schedulers.
 */
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { TributaryError } from '../errors.ts';
import type { RunStore } from '../metadata/run-store.ts';
import { createOrchestrator, type Orchestrator, type OrchestratorOptions } from './create-orchestrator.ts';
import type { Executor, Graph } from './orchestrator.ts';
import { alwaysLead, type Leadership } from './scheduler.ts';

export interface OpenedOrchestrator<Areas> {
  orchestrator: Orchestrator<Areas>;
  leadership: Leadership;
  /** Stops the executor (see `Orchestrator.stop`) and closes the store and the leadership connection. */
  close(options?: { abortAfterMs?: number }): Promise<void>;
}

export interface OpenOrchestratorOptions<Areas> extends Omit<OrchestratorOptions<Areas>, 'store' | 'executor' | 'graphs'> {
  cwd?: string;
  /** Attempts run at once in this process (default 8 embedded, 10 on PostgreSQL). */
  concurrency?: number;
}

/** The PostgreSQL URL with the separately configured password put in, for libraries that take one string. */
export function postgresConnectionString(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const u = new URL(url);
  u.password = password;
  return u.toString();
}

export async function openOrchestrator<Areas>(config: Readonly<Config>, graphs: readonly Graph<Areas>[], options: OpenOrchestratorOptions<Areas> = {}): Promise<OpenedOrchestrator<Areas>> {
  let store: RunStore;
  let executor: Executor;
  let leadership: Leadership = alwaysLead;
  if (config.metadata.backend === 'postgres') {
    const { url, password, schema } = config.postgres;
    if (url === undefined) throw new TributaryError('CONFIG_INVALID', 'postgres.url is required when metadata.backend is "postgres"');
    const connectionString = postgresConnectionString(url, password);
    const { openPostgresRunStore } = await import('../metadata/postgres/postgres-run-store.ts');
    const { createGraphileExecutor } = await import('./postgres/graphile-executor.ts');
    const { advisoryLeadership } = await import('./postgres/advisory-leadership.ts');
    store = await openPostgresRunStore({ url, schema, ...(password === undefined ? {} : { password }) });
    executor = createGraphileExecutor({ connectionString, schema: `${schema}_queue`, concurrency: options.concurrency ?? 10 });
    leadership = advisoryLeadership({ connectionString, key: schema });
  } else {
    const { openEmbeddedRunStore } = await import('../metadata/embedded/embedded-run-store.ts');
    const { createInProcessExecutor } = await import('./in-process/in-process-executor.ts');
    const dataDir = path.resolve(options.cwd ?? process.cwd(), config.dataDir);
    store = await openEmbeddedRunStore({ file: path.join(dataDir, 'metadata.sqlite') });
    executor = createInProcessExecutor({ concurrency: options.concurrency ?? 8, ...(options.clock ? { clock: options.clock } : {}) });
  }
  const orchestrator = createOrchestrator({ ...options, graphs, store, executor });
  return {
    orchestrator,
    leadership,
    async close(o = {}) {
      await orchestrator.stop(o);
      await leadership.release();
      await store.close();
    },
  };
}
