/**
 * The random-users pipeline (the seed's randomuser → Kafka → Spark → Cassandra project, in one module):
 *
 *   randomuser API ─poll, 1 min─► format ─► users_created ─┬─► random-users-upsert ─► table created_users (keyspace spark_streams on Cassandra)
 *                                                          └─► archiver ─► raw zone ─► random-users-copy ─► processed/created_users
 *
 * By default the API is the emulator (emulator.ts), a service of this pipeline on
 * 127.0.0.1:$RANDOM_USERS_EMULATOR_PORT; `RANDOMUSER_API_URL=https://randomuser.me/api/` polls the
 * real one instead. Run it: `npx tributary dev examples/random-users`.
 */
import { definePipeline, Pipeline, source, statelessJob, topic, type ServiceDeclaration } from 'tributary';
import { usersCopyJob } from './batch.ts';
import { boundedPoll } from './bounded-poll.ts';
import { startRandomUserEmulator } from './emulator.ts';
import { apiUserSchema, createdUsersTable, formatUser, named, USERS_TOPIC, userSchema } from './users.ts';

const env = process.env;
const emulatorPort = Number(env.RANDOM_USERS_EMULATOR_PORT ?? 18095);
const apiUrl = env.RANDOMUSER_API_URL ?? `http://127.0.0.1:${emulatorPort}/api/`;
/** How long the poll runs (the seed's DAG: one minute), how often, and how many users each request asks for. */
const durationMs = Number(env.RANDOM_USERS_DURATION_S ?? 60) * 1000;
const everyMs = Number(env.RANDOM_USERS_POLL_MS ?? 1000);
const perPoll = env.RANDOM_USERS_PER_POLL ?? '10';

export const UPSERT_JOB = named('random-users-upsert', '-');
export const POLL_SOURCE = named('randomuser-poll', '-');

const emulator: ServiceDeclaration = {
  name: 'randomuser-emulator',
  description: `a randomuser.me stand-in on ${apiUrl}`,
  async run(ctx, signal) {
    const server = await startRandomUserEmulator(emulatorPort);
    ctx.logger.info({ url: server.apiUrl }, 'randomuser emulator listening');
    try {
      await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    } finally {
      await server.close();
    }
  },
};

/** One response → one record per user, keyed by its uuid; an item that is not a user goes on unformatted and fails the topic schema. */
function formatResponse(body: unknown) {
  const results = (body as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) throw new Error('the body has no "results" array');
  return results.map((item: unknown) => {
    const parsed = apiUserSchema.safeParse(item);
    return parsed.success ? { key: parsed.data.login.uuid, value: formatUser(parsed.data) } : { value: item };
  });
}

export default definePipeline({
  name: 'random-users',
  description: 'randomuser.me users polled for a minute, formatted onto users_created, upserted into created_users by a stream job and copied from the raw zone by a batch job',
  topics: [topic({ name: USERS_TOPIC, schema: userSchema, keyField: 'id' })],
  sources: [
    source({
      name: POLL_SOURCE,
      component: boundedPoll(),
      config: {
        name: POLL_SOURCE,
        url: apiUrl,
        query: { results: perPoll, seed: env.RANDOM_USERS_SEED ?? 'tributary' },
        paging: { param: 'page' },
        topic: USERS_TOPIC,
        map: formatResponse,
        schema: userSchema,
        durationMs,
        rateLimit: { requestsPerSecond: Math.max(1, 1000 / everyMs), burst: 1 },
      },
      schedule: { everyMs },
    }),
  ],
  streamJobs: [statelessJob({ name: UPSERT_JOB, pipeline: Pipeline.from(USERS_TOPIC, userSchema), output: { table: createdUsersTable, row: (user) => user } })],
  batchJobs: [{ job: usersCopyJob, schedule: { everyMs: 5 * 60_000 } }],
  services: env.RANDOMUSER_API_URL ? [] : [emulator],
});
