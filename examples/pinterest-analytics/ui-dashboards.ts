/**
 * The dashboards the Tributary UI shows for this pipeline: read-only DuckDB queries over the joined
 * table `pinterest_enriched` (a stream job's table is a view of the same name).
 */
import { AGE_GROUP_SQL } from './analytics.ts';

export interface UiChart {
  title: string;
  sql: string;
  kind: 'bar' | 'line' | 'area' | 'pie' | 'scatter' | 'table' | 'number';
  x?: string;
  y?: string | string[];
}

export interface UiDashboard {
  name: string;
  title: string;
  charts: UiChart[];
}

const joined = 'pinterest_enriched';

export const uiDashboards: UiDashboard[] = [
  {
    name: 'pinterest-analytics',
    title: 'Pinterest analytics (AiCore): pins joined with their geolocation and user',
    charts: [
      { title: 'Pins joined', kind: 'number', sql: `SELECT count(*) AS pins FROM ${joined} WHERE matched`, y: 'pins' },
      { title: 'Pins per country', kind: 'bar', sql: `SELECT country, count(*) AS pins FROM ${joined} WHERE matched GROUP BY country ORDER BY pins DESC, country`, x: 'country', y: 'pins' },
      { title: 'Pins per category', kind: 'pie', sql: `SELECT category, count(*) AS pins FROM ${joined} WHERE matched GROUP BY category ORDER BY pins DESC, category`, x: 'category', y: 'pins' },
      { title: 'Users joined per year', kind: 'line', sql: `SELECT year(date_joined) AS join_year, count(*) AS users FROM ${joined} WHERE matched GROUP BY join_year ORDER BY join_year`, x: 'join_year', y: 'users' },
      {
        title: 'Median follower count by age group',
        kind: 'bar',
        sql: `SELECT ${AGE_GROUP_SQL.replaceAll('u.age', 'age')} AS age_group, median(follower_count) AS median_follower_count FROM ${joined} WHERE matched AND follower_count IS NOT NULL GROUP BY age_group ORDER BY age_group`,
        x: 'age_group',
        y: 'median_follower_count',
      },
      { title: 'Most followed users', kind: 'table', sql: `SELECT country, user_name, follower_count FROM ${joined} WHERE matched AND follower_count IS NOT NULL ORDER BY follower_count DESC, user_name LIMIT 20` },
    ],
  },
];
