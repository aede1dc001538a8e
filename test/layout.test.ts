import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && /\.(ts|tsx|js|mjs)$/.test(e.name)).map((e) => path.join(e.parentPath, e.name));
}

describe('the layout', () => {
  it('should keep src/ free of imports from examples/', async () => {
    const offenders: string[] = [];
    for (const file of await sourceFiles(path.join(root, 'src'))) {
      const text = await readFile(file, 'utf8');
      for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)) {
        const target = path.resolve(path.dirname(file), match[1]!);
        if (match[1]!.startsWith('.') && target.startsWith(path.join(root, 'examples'))) offenders.push(`${path.relative(root, file)} imports ${match[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('should find the check working: an import of examples/ from src/ is caught', () => {
    const file = path.join(root, 'src', 'cli', 'commands', 'demo.ts');
    const target = path.resolve(path.dirname(file), '../../../examples/pinterest/pipeline.ts');
    expect(target.startsWith(path.join(root, 'examples'))).toBe(true);
  });
});
