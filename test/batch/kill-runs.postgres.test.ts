import { describe } from 'vitest';
import { s3Connection } from '../support/s3.ts';
import { endpoint } from '../support/services.ts';
import { itSurvivesKills } from './kill-runs.ts';
import { realFixture } from './real-fixture.ts';

describe('batch runs killed mid-way (PostgreSQL catalog, MinIO data), read meanwhile', () => {
  itSurvivesKills('PostgreSQL + MinIO', async () => {
    const f = await realFixture();
    const s3 = s3Connection();
    const env = {
      TRIBUTARY_DATA_DIR: f.dir,
      TRIBUTARY_METADATA_BACKEND: 'postgres',
      TRIBUTARY_POSTGRES_URL: endpoint('TRIBUTARY_POSTGRES_URL'),
      TRIBUTARY_POSTGRES_SCHEMA: f.schema,
      TRIBUTARY_LAKE_BACKEND: 's3',
      TRIBUTARY_S3_ENDPOINT: s3.endpoint,
      TRIBUTARY_S3_REGION: s3.region,
      TRIBUTARY_S3_BUCKET: f.bucket,
      TRIBUTARY_S3_ACCESS_KEY_ID: s3.accessKeyId,
      TRIBUTARY_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    };
    return { f, env, shared: true };
  }, 8);
});
