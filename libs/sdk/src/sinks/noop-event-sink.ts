import { type AnyEventInput } from '../events/event-input';
import { type EventSink, type FlushResult, type SinkStats } from '../types';

/**
 * The degraded mode when no transport is configured: `emit` discards the event (counted in
 * `stats().emitted`, nothing else). Whoever picks it should say so once, at start.
 */
export class NoopEventSink implements EventSink {
  private emitted = 0;

  /** Why the sink discards events, for logs and health pages. */
  constructor(readonly reason = 'no runlog transport is configured') {}

  emit(_event: AnyEventInput): void {
    this.emitted++;
  }

  flush(): Promise<FlushResult> {
    return Promise.resolve({ ok: true });
  }

  close(): Promise<FlushResult> {
    return Promise.resolve({ ok: true });
  }

  stats(): SinkStats {
    return {
      emitted: this.emitted,
      buffered: 0,
      bufferedBytes: 0,
      inFlight: 0,
      published: 0,
      duplicates: 0,
      dropped: { invalid: 0, overflow: 0, rejected: 0, closed: 0 },
      retries: 0,
      gapsEmitted: 0,
      gapsPending: 0,
      connected: false,
    };
  }
}
