/** Open the lake the config names. Each backend's module (and the AWS SDK) is loaded only when chosen. */
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { TributaryError } from '../errors.ts';
import type { Lake } from './lake.ts';

export interface OpenLakeOptions {
  /** Resolves a relative `dataDir`; default: the working directory. */
  cwd?: string;
}

/** fs: the directory `<dataDir>/lake`; s3: the `s3.*` bucket, with local copies under `<dataDir>/lake-cache`. */
export async function openLake(config: Readonly<Config>, options: OpenLakeOptions = {}): Promise<Lake> {
  const dataDir = path.resolve(options.cwd ?? process.cwd(), config.dataDir);
  if (config.lake.backend === 's3') {
    const { endpoint, region, bucket, forcePathStyle, accessKeyId, secretAccessKey } = config.s3;
    // The schema requires both for this backend; a config built around it is a bug.
    if (accessKeyId === undefined || secretAccessKey === undefined) {
      throw new TributaryError('CONFIG_INVALID', 's3.accessKeyId and s3.secretAccessKey are required when lake.backend is "s3"');
    }
    const { openS3Lake } = await import('./s3/s3-lake.ts');
    return openS3Lake({
      ...(endpoint === undefined ? {} : { endpoint }),
      region,
      bucket,
      forcePathStyle,
      accessKeyId,
      secretAccessKey,
      cacheDir: path.join(dataDir, 'lake-cache'),
    });
  }
  const { openFsLake } = await import('./fs/fs-lake.ts');
  return openFsLake({ root: path.join(dataDir, 'lake') });
}
