import { describeCkanDays } from './ckan-days.ts';
import { realFixture } from './real-fixture.ts';

describeCkanDays('PostgreSQL catalog, MinIO data', realFixture);
