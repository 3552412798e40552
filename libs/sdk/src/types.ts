import { type ValidationError } from '@runlog/contracts';
import { type Registry } from 'prom-client';
import { type AnyEventInput } from './events/event-input';

/**
 * Where a producer sends runlog events. `emit` is fire and forget: it validates, stamps and
 * queues the event and returns at once; it never throws and never waits for the network.
 * What can never be delivered is reported through {@link SinkOptions.onDrop} and counted in
 * {@link SinkStats.dropped}.
 */
export interface EventSink {
  /**
   * Takes one event: stamps `id` and `time`, snapshots it and queues it, in microseconds.
   * It is validated against the contracts (and stamped with its `sourceseq`) in the
   * background, in emission order; an invalid one is reported through `onDrop`.
   */
  emit(event: AnyEventInput): void;
  /**
   * Resolves once every event emitted before the call is acknowledged by runlog, or dropped
   * and reported; `{ok: false, pending}` when `timeoutMs` passes first. Never rejects.
   */
  flush(timeoutMs?: number): Promise<FlushResult>;
  /**
   * Stops taking events (later ones are dropped as `closed`), flushes for at most
   * `timeoutMs` (default 10 s), reports what is left as dropped (`closed`) and releases the
   * connection the sink opened (never one it was given). Idempotent.
   */
  close(timeoutMs?: number): Promise<FlushResult>;
  /** Counters and gauges, read at the time of the call. */
  stats(): SinkStats;
}

/** How a flush ended: everything settled, or how many events were still waiting. */
export type FlushResult = { readonly ok: true } | { readonly ok: false; readonly pending: number };

/**
 * Why an event will never reach runlog:
 * - `invalid`: it broke the contract (it got no `sourceseq`);
 * - `overflow`: the buffer was full (by count or bytes) and it was the oldest waiting event;
 * - `rejected`: runlog refused it for good (a 400 naming it, a 403 for its family, too large);
 * - `closed`: emitted after `close()`, or still unsent when `close()` gave up.
 */
export type DropReason = 'invalid' | 'overflow' | 'rejected' | 'closed';

/** One event that will never reach runlog (see {@link DropReason}). */
export interface DroppedEvent {
  readonly reason: DropReason;
  /** The event id, when it had or got one. */
  readonly id?: string;
  readonly type?: string;
  readonly source?: string;
  /** Present once the event was stamped (every reason but `invalid`). */
  readonly sourceseq?: number;
  /** What is wrong with it (`invalid`, `rejected`); empty otherwise. */
  readonly errors: readonly ValidationError[];
  readonly message: string;
}

/** A transient problem the sink is working around (it keeps retrying). */
export interface SinkProblem {
  readonly code:
    | 'connect_failed'
    | 'disconnected'
    | 'connection_closed'
    | 'publish_failed'
    | 'http_error'
    | 'callback_failed';
  readonly message: string;
  /** Consecutive failed attempts so far (sends, connects). */
  readonly attempt?: number;
}

export interface DropCounts {
  readonly invalid: number;
  readonly overflow: number;
  readonly rejected: number;
  readonly closed: number;
}

/** What a sink has done so far, and what it holds now. */
export interface SinkStats {
  /** Events `emit` took (those found invalid afterwards are counted in `dropped.invalid` too). */
  readonly emitted: number;
  /** Events waiting for an acknowledgement (queued or in flight). */
  readonly buffered: number;
  /** Encoded bytes of the buffered events. */
  readonly bufferedBytes: number;
  /** Buffered events sent and not yet acknowledged. */
  readonly inFlight: number;
  /** Events acknowledged by runlog (duplicates included). */
  readonly published: number;
  /** Acknowledged as duplicates of an earlier send (a retry of an event that had landed). */
  readonly duplicates: number;
  readonly dropped: DropCounts;
  /** Send attempts that failed and were retried. */
  readonly retries: number;
  /** `producer.gap` events acknowledged by runlog. */
  readonly gapsEmitted: number;
  /** Dropped ranges not yet recorded by an acknowledged `producer.gap` event. */
  readonly gapsPending: number;
  /** Whether the sink can reach runlog now, as far as it knows. */
  readonly connected: boolean;
}

/** Options every sink takes. */
export interface SinkOptions {
  /**
   * The CloudEvents `source` of events that name none: the producer's identity, e.g.
   * `engine/qwen3-4b@host-1`. An event without a source, here or in the event, is invalid.
   */
  readonly source?: string;
  /** Largest number of buffered events (default 10,000); the oldest waiting one is dropped beyond it. */
  readonly maxBufferedEvents?: number;
  /** Largest encoded size of the buffered events (default 16 MiB). */
  readonly maxBufferedBytes?: number;
  /** Events per send (default 256 over NATS, 500 over HTTP; HTTP at most 1000). */
  readonly batchSize?: number;
  /** Encoded bytes per send (default 1 MiB). */
  readonly batchBytes?: number;
  /** How long a partial batch waits for more events before it is sent (default 5 ms). */
  readonly lingerMs?: number;
  /** Delay between retries while runlog is unreachable: exponential with full jitter. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Largest encoded event (default 1 MiB less 4 KiB, NATS's default payload less headroom). */
  readonly maxEventBytes?: number;
  /**
   * The first `sourceseq` of a source this sink has not stamped yet (default 1). Give the
   * next value of a counter you persist to keep `sourceseq` monotonic across restarts.
   */
  readonly sourceseqStart?: (source: string) => number;
  /** Called once for each event that will never reach runlog. Exceptions are ignored. */
  readonly onDrop?: (drop: DroppedEvent) => void;
  /** Called on each transient problem (the sink keeps retrying). Exceptions are ignored. */
  readonly onError?: (problem: SinkProblem) => void;
  /** A prom-client registry: the sink adds its `runlog_sdk_*` metrics to it. */
  readonly registry?: Registry;
  /** This sink's name in metrics (label `sink`) and in its NATS connection name (default `runlog-sdk`). */
  readonly name?: string;
}
