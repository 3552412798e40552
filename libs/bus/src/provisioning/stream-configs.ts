import { nanos } from '@nats-io/transport-node';
import { DiscardPolicy, RetentionPolicy, type StreamConfig, StorageType } from '@nats-io/jetstream';
import {
  DEADLETTER_STREAM,
  DEADLETTER_SUBJECT_FILTER,
  type Family,
  familyRetention,
  familySubjectFilter,
  INGEST_STREAM,
  INGEST_SUBJECT_FILTER,
  streamName,
} from '@runlog/contracts';
import { type BusOptions } from '../bus-options';

/** The window in which a repeated `Nats-Msg-Id` is answered as a duplicate (≥ 2 min, DESIGN.md §5). */
export const DUPLICATE_WINDOW_MS = 2 * 60_000;

/** Where dead letters are re-driven to the consumer that parked them (docs/decisions.md D3). */
export const REDRIVE_SUBJECT_FILTER = 'redrive.>';

export type ProvisionedStream = Pick<
  StreamConfig,
  | 'name'
  | 'subjects'
  | 'retention'
  | 'storage'
  | 'num_replicas'
  | 'max_age'
  | 'duplicate_window'
  | 'discard'
  | 'allow_direct'
> &
  Partial<Pick<StreamConfig, 'max_msgs'>>;

function base(
  name: string,
  subjects: string[],
  retention: RetentionPolicy,
  options: BusOptions,
  maxAgeMs = 0,
): ProvisionedStream {
  return {
    name,
    subjects,
    retention,
    storage: StorageType.File,
    num_replicas: options.streams.replicas,
    max_age: nanos(maxAgeMs),
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    discard: DiscardPolicy.Old,
    // Direct gets (any replica answers reads by sequence or subject): the normalizer's
    // per-run order check asks RUNLOG_AGENT for the first message on a subject.
    allow_direct: true,
  };
}

/** `RUNLOG_<FAMILY>` on `events.<family>.>`: limits retention (agent: work-queue), `max_age` from config. */
export function familyStreamConfig(family: Family, options: BusOptions): ProvisionedStream {
  const retention =
    familyRetention(family) === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits;
  return base(
    streamName(family),
    [familySubjectFilter(family)],
    retention,
    options,
    options.streams.maxAgeMs[family] ?? 0,
  );
}

/** RUNLOG_INGEST on `ingest.>`: the async ingress buffer (work-queue). */
export function ingestStreamConfig(options: BusOptions): ProvisionedStream {
  return base(INGEST_STREAM, [INGEST_SUBJECT_FILTER], RetentionPolicy.Workqueue, options);
}

/** RUNLOG_DEADLETTER on `deadletter.>` and `redrive.>`: kept until an operator acts. */
export function deadLetterStreamConfig(options: BusOptions): ProvisionedStream {
  return base(
    DEADLETTER_STREAM,
    [DEADLETTER_SUBJECT_FILTER, REDRIVE_SUBJECT_FILTER],
    RetentionPolicy.Limits,
    options,
  );
}
