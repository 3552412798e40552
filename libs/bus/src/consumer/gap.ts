/**
 * A hole in a family stream seen by an unfiltered durable consumer: the messages with
 * cursors `from_cursor..to_cursor` (inclusive) were removed by retention before the
 * consumer read them (DESIGN.md §5).
 */
export interface Gap {
  readonly family: string;
  readonly consumer: string;
  readonly from_cursor: string;
  readonly to_cursor: string;
  /** `to - from + 1` */
  readonly missing: number;
}

/** Where a service persists and exposes gaps. Never silent: the bus also logs and counts them. */
export type GapHook = (gap: Gap) => void | Promise<void>;
