import { describe, expect, it } from 'vitest';
import { nodeVersionProblem } from '../../src/cli/node-version.ts';

describe('nodeVersionProblem', () => {
  it('should refuse Node.js 20 and 22.12, saying which version runs and what to run', () => {
    for (const version of ['20.18.1', '22.12.0', '18.0.0']) {
      const problem = nodeVersionProblem(version);
      expect(problem, version).toContain(`tributary needs Node.js 22.13 or newer; this is Node.js ${version}.`);
      expect(problem, version).toContain('eval "$(scripts/setup-node --env)"');
    }
  });

  it('should accept Node.js 22.13 and anything newer', () => {
    for (const version of ['22.13.0', '22.20.1', '23.0.0', '24.11.1', process.versions.node]) expect(nodeVersionProblem(version), version).toBeUndefined();
  });
});
