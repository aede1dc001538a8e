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

/** The most popular category per group: `group` is a SQL expression over pins `p` and geo `g`, named `column`. */
function popularCategory(name: string, description: string, column: string, group: string) {
  return defineBatchJob({
    name,
    description,
    inputs: [pins, geo],
    transform: {
      sql: `SELECT ${column}, category, category_count FROM (
              SELECT ${column}, category, count(*) AS category_count,
                     row_number() OVER (PARTITION BY ${column} ORDER BY count(*) DESC, category) AS rank
              FROM (SELECT ${group} AS ${column}, p.category FROM pins p JOIN geo g USING (ind))
              GROUP BY ${column}, category)
            WHERE rank = 1`,
    },
    output: curated(name.replaceAll('-', '_')),
  });
}

export const popularCategoryByCountry = popularCategory('popular-category-by-country', 'the most popular category in each country', 'country', 'g.country');
export const popularCategoryByYear = popularCategory('popular-category-by-year', 'the most popular category in each posting year', 'post_year', 'year(g.posted_at::TIMESTAMP)');

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

/** The median follower count per group: `group` is a SQL expression over users `u`, named `column`. */
function medianFollowers(name: string, description: string, column: string, group: string) {
  return defineBatchJob({
    name,
    description,
    inputs: [pins, users],
    transform: {
      sql: `SELECT ${group} AS ${column}, quantile_cont(p.follower_count, 0.5) AS median_follower_count, count(*) AS users
            FROM pins p JOIN users u USING (ind) WHERE p.follower_count IS NOT NULL GROUP BY ALL`,
    },
    output: curated(name.replaceAll('-', '_')),
  });
}

export const medianFollowersByAgeGroup = medianFollowers('median-followers-by-age-group', 'the median follower count of the users in each age group', 'age_group', AGE_GROUP_SQL);
export const medianFollowersByJoinYear = medianFollowers('median-followers-by-join-year', 'the median follower count of the users who joined in each year', 'join_year', 'year(u.date_joined::TIMESTAMP)');

export const usersJoinedPerYear = defineBatchJob({
  name: 'users-joined-per-year',
  description: 'how many users joined in each year',
  inputs: [users],
  transform: { sql: 'SELECT year(date_joined::TIMESTAMP) AS join_year, count(*) AS number_users_joined FROM users GROUP BY ALL' },
  output: curated('users_joined_per_year'),
});

export const analyticsJobs = [popularCategoryByCountry, popularCategoryByYear, topUserByCountry, medianFollowersByAgeGroup, medianFollowersByJoinYear, usersJoinedPerYear];
