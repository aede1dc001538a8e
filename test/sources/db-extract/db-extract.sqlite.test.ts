import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { afterAll } from 'vitest';
import { describeDbExtract } from './db-extract-contract.ts';

// One file for the suite: the contract creates its tables once and every test's source reads them.
const dir = mkdtempSync(path.join(tmpdir(), 'tributary-extract-sqlite-'));
const file = path.join(dir, 'shop.sqlite');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeDbExtract(
  'sqlite',
  () => `sqlite:${file}`,
  () => {
    const db = new DatabaseSync(file);
    db.exec('PRAGMA journal_mode = WAL');
    return Promise.resolve({
      execute: (sql, values) => Promise.resolve(db.prepare(sql).run(...(values as SQLInputValue[]))),
      close: () => Promise.resolve(db.close()),
    });
  },
);
