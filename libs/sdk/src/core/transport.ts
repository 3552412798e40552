import { type ValidationError } from '@runlog/contracts';
import { type SinkProblem } from '../types';
import { type Entry } from './entry';

/** What became of one sent event. */
export type Outcome =
  /** runlog has it (stored, or a duplicate of an earlier send). */
  | { readonly kind: 'acked'; readonly duplicate: boolean }
  /** Not taken for a reason that passes (unreachable, timeout, 5xx): retried with backoff. */
  | { readonly kind: 'retry'; readonly message: string }
  /** Not sent because another event of the batch failed: sent again at once. */
  | { readonly kind: 'again' }
  /** An error answer that may or may not pass: retried a few times, then dropped. */
  | { readonly kind: 'refused'; readonly message: string }
  /** Refused for good (invalid, too large, forbidden): dropped and reported. */
  | {
      readonly kind: 'rejected';
      readonly message: string;
      readonly errors: readonly ValidationError[];
    };

/** What a transport tells its sink. */
export interface TransportListener {
  /** It can send now (connected, or reconnected): the sink stops waiting. */
  ready(): void;
  problem(problem: SinkProblem): void;
}

/** How a {@link BufferedSink} reaches runlog: NATS JetStream or HTTP. */
export interface Transport {
  /** Whether to send now (false while a connection is known to be down). */
  readonly ready: boolean;
  /** Whether runlog answered the last attempt, as far as the transport knows. */
  readonly connected: boolean;
  /** Largest encoded event it can carry. */
  maxEventBytes(): number;
  start(listener: TransportListener): void;
  /** Sends a batch in order and answers one outcome per entry, in order. Never rejects. */
  send(batch: readonly Entry[]): Promise<Outcome[]>;
  /** Gives up what is in flight and releases what it owns. */
  close(): Promise<void>;
}
