import { type Family } from './families';

/** `RUNLOG_<FAMILY>`: the JetStream stream that holds one family. */
export function streamName(family: Family): string {
  return `RUNLOG_${family.toUpperCase()}`;
}

/** Async ingress buffer (work-queue): producers publish `ingest.<family>.<key>` here. */
export const INGEST_STREAM = 'RUNLOG_INGEST';

/** Dead letters of every consumer: `deadletter.<consumer>.<family>`. */
export const DEADLETTER_STREAM = 'RUNLOG_DEADLETTER';

/** Retention of each family stream (DESIGN.md §3: agent is a work-queue buffer). */
export function familyRetention(family: Family): 'limits' | 'workqueue' {
  return family === 'agent' ? 'workqueue' : 'limits';
}

/** Durable consumer names of runlog's own services (DESIGN.md §1). */
export const DURABLES = {
  ingest: 'ingest',
  normalizer: 'normalizer',
  leaseHistory: 'lease-history',
  traceStore: 'trace-store',
} as const;

/** JetStream names may not contain `.`, `*`, `>`, whitespace or path separators. */
export function isValidJetStreamName(name: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(name) && name.length <= 255;
}
