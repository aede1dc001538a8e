import { describeCatalogContract } from './catalog-contract.ts';
import { testBucket } from '../support/s3.ts';

const { open } = await testBucket('catalog');

describeCatalogContract('s3', open);
