import { randomBytes } from 'node:crypto';

/**
 * A name no other test in this run (or any earlier run on a shared server) uses: for
 * streams, durables, subjects prefixes and KV buckets. Valid as a JetStream name.
 */
export function uniqueName(prefix = 't'): string {
  return `${prefix}_${process.pid}_${randomBytes(5).toString('hex')}`.replace(
    /[^A-Za-z0-9_-]/g,
    '_',
  );
}
