/**
 * Prints one closing line, `tests: N passed, N failed, N skipped`, that any CI can read; under CI a
 * skipped test fails the run, so nothing that did not run can be counted as passing.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const count = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    const skipped: string[] = [];
    for (const module of testModules) {
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) count.failed++;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        count[state]++;
        if (state === 'skipped') skipped.push(`${module.moduleId}: ${test.fullName}`);
      }
    }
    const failed = count.failed + count.pending;
    process.stdout.write(`\ntests: ${count.passed} passed, ${failed} failed, ${count.skipped} skipped\n`);
    if (process.env.CI && skipped.length > 0) {
      process.stdout.write(`skipped tests are not allowed in CI:\n${skipped.map((s) => `  ${s}`).join('\n')}\n`);
      process.exitCode = 1;
    }
  }
}
