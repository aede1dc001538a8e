/** What integration tests need from the environment, and names that never collide between tests. */
import { randomBytes } from 'node:crypto';

/** An endpoint from `scripts/services env`. A missing one fails the test: it is never skipped. */
export function endpoint(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: integration tests need the real services. Run them with \`npm test\`, or \`scripts/services up && eval "$(scripts/services env)"\`.`);
  }
  return value;
}

/** A lower-case name unique to this call, usable as a topic, table, bucket or keyspace. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}
