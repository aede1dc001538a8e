/** Dashboards declared by a pipeline: typed, kept as given, and their names checked like every part's. */
import { describe, expect, it } from 'vitest';
import { definePipeline, type DashboardDeclaration } from '../../src/index.ts';

const postsPerCategory: DashboardDeclaration = {
  name: 'posts',
  title: 'Posts',
  charts: [{ title: 'Posts per category', sql: 'SELECT category, count(*) AS posts FROM lake.processed.pinterest_pins GROUP BY category', kind: 'bar', x: 'category', y: 'posts' }],
};

describe('pipeline dashboards', () => {
  it('should keep the declared dashboards, frozen', () => {
    const p = definePipeline({ name: 'dash', dashboards: [postsPerCategory] });
    expect(p.dashboards).toEqual([postsPerCategory]);
    expect(Object.isFrozen(p.dashboards)).toBe(true);
  });

  it('should refuse two dashboards with one name, naming it', () => {
    expect(() => definePipeline({ name: 'dash', dashboards: [postsPerCategory, { ...postsPerCategory, title: 'again' }] })).toThrow(/dashboard "posts" is declared twice/);
  });
});
