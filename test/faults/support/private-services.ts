/**
 * A private set of the real services for the fault scenarios, started by `scripts/services` in a
 * directory of its own and on ports of its own, so that stopping and starting them leaves the shared
 * services (and every other test) alone.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SERVICES = path.resolve(import.meta.dirname, '../../../scripts/services');

/** Ports away from the shared set's (15432, 19092, ...). */
const PORTS = { PORT_POSTGRES: '25432', PORT_REDIS: '26379', PORT_KAFKA: '29092', PORT_KAFKA_CONTROLLER: '29093' };

export type PrivateService = 'postgres' | 'redis' | 'kafka';

export interface PrivateServices {
  /** The clients' environment: TRIBUTARY_POSTGRES_URL, TRIBUTARY_KAFKA_BROKERS, ... */
  env: Record<string, string>;
  stop(service: PrivateService): Promise<void>;
  start(service: PrivateService): Promise<void>;
  /** Stops them all and deletes their data. */
  close(): Promise<void>;
}

export async function startPrivateServices(services: readonly PrivateService[]): Promise<PrivateServices> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-fault-services-'));
  // As root, scripts/services runs PostgreSQL as an unprivileged user, who must be able to enter it.
  await chmod(dir, 0o755);
  const env = { ...process.env, ...PORTS, TRIBUTARY_SERVICES_DIR: dir };
  const services_ = async (...args: string[]) => (await run('bash', [SERVICES, ...args], { env, maxBuffer: 16 << 20 })).stdout;
  try {
    await services_('up', ...services);
  } catch (error) {
    await services_('down', ...services).catch(() => undefined);
    throw error;
  }
  const clientEnv = Object.fromEntries(
    [...(await services_('env', ...services)).matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^'(.*)'$/, '$1')]),
  );
  return {
    env: clientEnv,
    stop: async (service) => void (await services_('down', service)),
    start: async (service) => void (await services_('up', service)),
    async close() {
      await services_('down', ...services).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
