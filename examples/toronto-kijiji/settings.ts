/**
 * The example's settings, from the environment (every one optional), checked once when the pipeline
 * loads: a bad value fails with CONFIG_INVALID naming the variable.
 *
 * | variable | default | what |
 * |---|---|---|
 * | `TORONTO_CKAN_URL` | the CKAN emulator | a CKAN portal to download from, e.g. the City's, `CITY_PORTAL` |
 * | `KIJIJI_START_URL` | the Kijiji emulator | page 1 of a Kijiji-shaped search to scrape instead |
 * | `KIJIJI_SCRAPE_EVERY_MS` | cron `* * * * *` | scrape on an interval instead of every minute |
 * | `KIJIJI_PAGES` | 3 | pages the emulator serves (and the scraper follows) |
 * | `KIJIJI_REPRICE_EVERY_MS` | 20000 | how often the emulator changes prices |
 * | `TORONTO_KIJIJI_BATCH_EVERY_MS` | the daily and 10-minute schedules | run every batch job on this interval |
 * | `KIJIJI_TOPIC` | `kijiji.listings` | the topic of the scraped ads (a shared Kafka may need another name) |
 * | `TORONTO_CKAN_EMULATOR_PORT`, `KIJIJI_EMULATOR_PORT` | a free port | where the emulators listen on 127.0.0.1; set them (the same in every process) when `tributary worker`s on the same machine run the sources too, so that their polls reach the emulators `dev` runs |
 */
import { TributaryError, z, type Schedule } from 'tributary';

/** The City of Toronto's CKAN portal. */
export const CITY_PORTAL = 'https://ckan0.cf.opendata.inter.prod-toronto.ca';

const interval = z.coerce.number().int().min(10);
const schema = z.object({
  TORONTO_CKAN_URL: z.url().optional(),
  KIJIJI_START_URL: z.url().optional(),
  KIJIJI_SCRAPE_EVERY_MS: interval.optional(),
  KIJIJI_PAGES: z.coerce.number().int().min(1).max(20).default(3),
  KIJIJI_REPRICE_EVERY_MS: interval.default(20_000),
  TORONTO_KIJIJI_BATCH_EVERY_MS: interval.optional(),
  TORONTO_CKAN_EMULATOR_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  KIJIJI_EMULATOR_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  KIJIJI_TOPIC: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" or "-"').default('kijiji.listings'),
});

export type Settings = z.output<typeof schema>;

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const picked = Object.fromEntries(Object.keys(schema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]]));
  const parsed = schema.safeParse(picked);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}=${JSON.stringify(picked[String(issue.path[0])])}: ${issue.message}`);
    throw new TributaryError('CONFIG_INVALID', `examples/toronto-kijiji: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** A batch job's schedule: `fallback`, or the interval the environment asks for. */
export function batchSchedule(settings: Settings, fallback: Schedule): Schedule {
  return settings.TORONTO_KIJIJI_BATCH_EVERY_MS === undefined ? fallback : { everyMs: settings.TORONTO_KIJIJI_BATCH_EVERY_MS };
}
