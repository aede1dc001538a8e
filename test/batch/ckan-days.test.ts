import { describeCkanDays } from './ckan-days.ts';
import { fsFixture } from './batch-support.ts';

describeCkanDays('embedded catalog, local directory', fsFixture);
