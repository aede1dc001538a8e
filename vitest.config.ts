import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Integration tests are named after the real engine they need: `<unit>.<engine>.test.ts`. */
const engines = ['kafka', 's3', 'postgres', 'cassandra', 'redis', 'mariadb', 'prometheus', 'browser'];
/** The fault-injection suite runs on its own (`npm run test:faults`, after `npm test` in CI). */
// The scheduler's SIGKILL scenario lives with the orchestrator's tests.
const faults = ['test/faults/**/*.faults.test.ts', 'test/orchestrator/exactly-once.postgres.test.ts'];
const integration = engines.flatMap((engine) => [`test/**/*.${engine}.test.ts`, `examples/**/*.${engine}.test.ts`]);
/**
 * Quarantined: a real-engine example test that fails now and then under heavy load (5 of 6 runs
 * passed beside the loaded suite: once the records of the killed worker's partitions were not all
 * cleaned within 120 s). It runs with `TRIBUTARY_QUARANTINED=1 npx vitest run --project integration
 * <file>`, not in `npm test`.
 */
const quarantined = process.env.TRIBUTARY_QUARANTINED === '1' ? [] : ['examples/pinterest-analytics/test/pipeline.kafka.test.ts'];

export default defineConfig({
  // The examples import the package by name; in the tests that is the source, not the build.
  resolve: { alias: [{ find: /^tributary$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) }] },
  test: {
    // CI lists every test by name, so its log shows what ran.
    reporters: [process.env.CI ? 'verbose' : 'default', './test/support/summary-reporter.ts'],
    // A test that leaves a handle open (a socket, a timer) should not keep the run alive.
    teardownTimeout: 10_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
          exclude: [...integration, ...faults],
          // The timeouts catch a hang; they are not speed checks (those are in bench/). CI runs the
          // tests beside seven services on two cores, where a test that takes 1 s alone can take 5.
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: integration,
          exclude: [...faults, ...quarantined],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      // `npm run test:faults`: the fault-injection suite, on services of its own that it stops and starts.
      ...(process.env.TRIBUTARY_FAULTS === '1'
        ? [{ test: { name: 'faults', include: faults, fileParallelism: false, testTimeout: 300_000, hookTimeout: 300_000 } }]
        : []),
    ],
  },
});
