import { type Family } from '@runlog/contracts';
import { type BusLoggerFactory } from './logging/bus-logger';
import { type BusMetrics } from './metrics/bus-metrics';

/** NATS credentials: one kind at most (DESIGN.md §6). */
export type BusCredentials =
  | { readonly user: string; readonly pass: string }
  | { readonly token: string }
  | { readonly credsFile: string };

/** Everything the bus needs to connect and provision (DESIGN.md §5, §6). */
export interface BusOptions {
  /** NATS server URLs; several for a cluster. */
  readonly servers: readonly string[];
  /** Connection name shown in the server's monitoring (`runlog-<service>`). */
  readonly name: string;
  readonly credentials?: BusCredentials;
  /**
   * The prefix of this connection's reply subjects (default `_INBOX`). Give each NATS user
   * its own and allow it `<prefix>.>` only: replies carry PubAcks, JetStream API answers
   * and pulled messages, so a user who may subscribe to `_INBOX.>` reads everyone's.
   */
  readonly inboxPrefix?: string;
  readonly streams: {
    /** Replicas of every stream (1 on a single server). */
    readonly replicas: number;
    /** `max_age` per family in milliseconds; absent or 0 keeps events forever. */
    readonly maxAgeMs: Partial<Record<Family, number>>;
  };
  /** Counters and histograms; no-op by default. */
  readonly metrics?: BusMetrics;
  /** Where the bus logs (default stderr; `BusModule` uses NestJS's `Logger`). */
  readonly logger?: BusLoggerFactory;
}
