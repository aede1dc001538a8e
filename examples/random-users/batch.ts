/**
 * The batch half: the raw zone's copy of `users_created` (the archiver's Parquet files) into the
 * processed table `created_users`, one row per user id, the latest record winning.
 */
import { defineBatchJob } from 'tributary';
import { createdUsersTable, named, USERS_TOPIC } from './users.ts';

const columns = Object.keys(createdUsersTable.columns);

export const usersCopyJob = defineBatchJob({
  name: named('random-users-copy', '-'),
  description: `raw ${USERS_TOPIC} → processed ${createdUsersTable.name}, merged by id`,
  inputs: [{ kind: 'dataset', name: 'users', zone: 'raw', dataset: USERS_TOPIC }],
  transform: {
    sql: `SELECT ${columns.map((c) => `json_extract_string(value, '$.${c}') AS ${c}`).join(', ')},
      CASE WHEN json_extract_string(value, '$.id') IS NULL THEN 'no id' END AS _error
      FROM users`,
  },
  output: { zone: 'processed', dataset: createdUsersTable.name, mode: 'merge', key: ['id'] },
});
