import path from 'node:path';
import { tempDir } from '../support/cli.ts';
import { describeTablesContract } from './tables-contract.ts';

describeTablesContract('embedded catalog, local directory', async () => {
  const dir = await tempDir('tributary-tables-');
  return { catalog: { kind: 'duckdb', file: path.join(dir, 'catalog.ducklake') }, data: { kind: 'fs', dir: path.join(dir, 'tables') } };
});
