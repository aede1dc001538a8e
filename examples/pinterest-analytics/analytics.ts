/**
 * The curriculum's analytics, as batch jobs over the processed tables, each into a curated table it
 * recomputes whole (`overwrite-partitions` with no partition column). Ties rank by name, so a
 * result is one row per group and the same on every run.
 */
import { defineBatchJob, type BatchInput } from 'tributary';
import { PROCESSED } from './batch.ts';

const pins: BatchInput = { kind: 'dataset', name: 'pins', zone: 'processed', dataset: PROCESSED.pins };
const geo: BatchInput = { kind: 'dataset', name: 'geo', zone: 'processed', dataset: PROCESSED.geo };
const users: BatchInput = { kind: 'dataset', name: 'users', zone: 'processed', dataset: PROCESSED.users };

const curated = (dataset: string) => ({ zone: 'curated' as const, dataset, mode: 'overwrite-partitions' as const });

export const popularCategoryByCountry = defineBatchJob({
  name: 'popular-category-by-country',
  description: 'the most popular category in each country',
  inputs: [pins, geo],
  transform: {
    sql: `SELECT country, category, category_count FROM (
            SELECT g.country, p.category, count(*) AS category_count,
                   row_number() OVER (PARTITION BY g.country ORDER BY count(*) DESC, p.category) AS rank
            FROM pins p JOIN geo g USING (ind) GROUP BY g.country, p.category)
          WHERE rank = 1`,
  },
  output: curated('popular_category_by_country'),
});

export const popularCategoryByYear = defineBatchJob({
  name: 'popular-category-by-year',
  description: 'the most popular category in each posting year',
  inputs: [pins, geo],
  transform: {
    sql: `SELECT post_year, category, category_count FROM (
            SELECT post_year, category, count(*) AS category_count,
                   row_number() OVER (PARTITION BY post_year ORDER BY count(*) DESC, category) AS rank
            FROM (SELECT year(g.posted_at::TIMESTAMP) AS post_year, p.category FROM pins p JOIN geo g USING (ind))
            GROUP BY post_year, category)
          WHERE rank = 1`,
  },
  output: curated('popular_category_by_year'),
});

export const topUserByCountry = defineBatchJob({
  name: 'top-user-by-country',
  description: 'the user with the most followers in each country',
  inputs: [pins, geo, users],
  transform: {
    sql: `SELECT country, user_name, follower_count FROM (
            SELECT g.country, u.user_name, p.follower_count,
                   row_number() OVER (PARTITION BY g.country ORDER BY p.follower_count DESC, u.user_name, p.ind) AS rank
            FROM pins p JOIN geo g USING (ind) JOIN users u USING (ind) WHERE p.follower_count IS NOT NULL)
          WHERE rank = 1`,
  },
  output: curated('top_user_by_country'),
});

/** The curriculum's age groups. */
export const AGE_GROUP_SQL = "CASE WHEN u.age < 25 THEN '18-24' WHEN u.age <= 35 THEN '25-35' WHEN u.age <= 50 THEN '36-50' ELSE '50+' END";

export const medianFollowersByAgeGroup = defineBatchJob({
  name: 'median-followers-by-age-group',
  description: 'the median follower count of the users in each age group',
  inputs: [pins, users],
  transform: {
    sql: `SELECT ${AGE_GROUP_SQL} AS age_group, quantile_cont(p.follower_count, 0.5) AS median_follower_count, count(*) AS users
          FROM pins p JOIN users u USING (ind) WHERE p.follower_count IS NOT NULL GROUP BY ALL`,
  },
  output: curated('median_followers_by_age_group'),
});

export const medianFollowersByJoinYear = defineBatchJob({
  name: 'median-followers-by-join-year',
  description: 'the median follower count of the users who joined in each year',
  inputs: [pins, users],
  transform: {
    sql: `SELECT year(u.date_joined::TIMESTAMP) AS join_year, quantile_cont(p.follower_count, 0.5) AS median_follower_count, count(*) AS users
          FROM pins p JOIN users u USING (ind) WHERE p.follower_count IS NOT NULL GROUP BY ALL`,
  },
  output: curated('median_followers_by_join_year'),
});

export const usersJoinedPerYear = defineBatchJob({
  name: 'users-joined-per-year',
  description: 'how many users joined in each year',
  inputs: [users],
  transform: { sql: 'SELECT year(date_joined::TIMESTAMP) AS join_year, count(*) AS number_users_joined FROM users GROUP BY ALL' },
  output: curated('users_joined_per_year'),
});

export const analyticsJobs = [popularCategoryByCountry, popularCategoryByYear, topUserByCountry, medianFollowersByAgeGroup, medianFollowersByJoinYear, usersJoinedPerYear];
