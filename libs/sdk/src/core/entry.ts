import { type Family, type SubjectKey } from '@runlog/contracts';

/** One validated, stamped, encoded event in a sink's buffer. */
export interface Entry {
  /** Order of emission in this sink (flush waits up to a value of it). */
  readonly seq: number;
  readonly id: string;
  readonly type: string;
  readonly family: Family;
  readonly kind: string;
  readonly source: string;
  /** Absent on the sink's own `producer.gap` events, which are no part of the sequence. */
  readonly sourceseq: number | undefined;
  /** The partition key (for the NATS subject). */
  readonly key: SubjectKey;
  /** The structured-mode CloudEvents JSON. */
  readonly body: string;
  /** UTF-8 bytes of `body`. */
  readonly bytes: number;
  /** The event's `traceparent`/`tracestate` extensions, also sent as NATS headers. */
  readonly traceHeaders?: ReadonlyArray<readonly [string, string]>;
  /** Times runlog answered with an error for it (it is dropped after a few). */
  refusals: number;
}
