import { Inject, Injectable, Logger } from '@nestjs/common';
import { Bus, type BusError } from '@runlog/bus';
import {
  decodeBatch,
  type Family,
  isFamily,
  parseEventType,
  type RejectedEvent,
  type RunlogEvent,
} from '@runlog/contracts';
import { RUNLOG_CONFIG, type RunlogConfig } from '@runlog/platform';

/** One event that failed validation: its place in the batch, its id if it had one, every error. */
export type { RejectedEvent };

/** Where one accepted event went; live-only engine kinds have no stream and no cursor. */
export interface AcceptedEvent {
  readonly index: number;
  readonly id: string;
  readonly stream: string | null;
  readonly cursor: string | null;
  readonly duplicate: boolean;
}

/** One event JetStream did not take (the batch may be retried: ids dedupe). */
export interface FailedEvent {
  readonly index: number;
  readonly id: string;
  readonly code: string;
  readonly message: string;
}

export type Validated =
  | { readonly ok: true; readonly events: readonly RunlogEvent[] }
  | { readonly ok: false; readonly rejected: readonly RejectedEvent[] };

export interface Published {
  readonly accepted: readonly AcceptedEvent[];
  readonly failed: readonly FailedEvent[];
}

/** Engine lifecycle kinds are live only (DESIGN.md §3): published to `live.engine.<model>`, never stored. */
export function isLiveOnly(event: RunlogEvent): boolean {
  return event.family === 'engine' && event.kind !== 'request_served';
}

/** The family a raw input names in its `type`, if it names one (for auth, before validation). */
export function familyOfInput(input: unknown): Family | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const type = (input as { type?: unknown }).type;
  if (typeof type !== 'string') return undefined;
  const parsed = parseEventType(type);
  if (parsed.ok) return parsed.family;
  const family = type.split('.')[1];
  return family !== undefined && isFamily(family) ? family : undefined;
}

/**
 * The one intake path of runlog, shared by HTTP and async ingress: validate a batch
 * (all or nothing), then route each event to its family stream (with `msgID` = id) or,
 * for engine lifecycle kinds, to `live.engine.<model>`.
 */
@Injectable()
export class IntakeService {
  private readonly logger = new Logger('Intake');

  constructor(
    @Inject(Bus) private readonly bus: Bus,
    @Inject(RUNLOG_CONFIG) private readonly config: RunlogConfig,
  ) {}

  /** Validates every input; any failure rejects the whole batch, each error named by index and path. */
  validate(inputs: readonly unknown[], receivedAt = new Date()): Validated {
    const result = decodeBatch(inputs, { receivedAt, maxEventBytes: this.bus.maxEventBytes });
    return result.ok ? { ok: true, events: result.value } : { ok: false, rejected: result.errors };
  }

  /**
   * Publishes validated events in input order: stored kinds pipelined through the bus
   * publisher, live-only engine kinds on core NATS. Answers what was written and what failed.
   */
  async publish(events: readonly RunlogEvent[]): Promise<Published> {
    const stored: Array<{ index: number; event: RunlogEvent }> = [];
    const accepted: AcceptedEvent[] = [];
    const failed: FailedEvent[] = [];
    events.forEach((event, index) => {
      if (!isLiveOnly(event)) {
        stored.push({ index, event });
        return;
      }
      try {
        this.bus.publishLive(event);
        accepted.push({ index, id: event.id, stream: null, cursor: null, duplicate: false });
      } catch (error) {
        failed.push({ index, id: event.id, code: 'unavailable', message: describe(error) });
      }
    });
    const results = await this.bus.publishMany(stored.map((item) => item.event));
    results.forEach((result, at) => {
      const { index, event } = stored[at] as { index: number; event: RunlogEvent };
      if (result.ok) {
        accepted.push({ index, id: event.id, ...result.value });
      } else {
        failed.push({ index, id: event.id, ...failure(result.error) });
      }
    });
    if (failed.length > 0)
      this.logger.warn(`${failed.length} of ${events.length} events were not written`);
    const byIndex = (a: { index: number }, b: { index: number }) => a.index - b.index;
    return { accepted: accepted.sort(byIndex), failed: failed.sort(byIndex) };
  }

  /** Largest batch one request may carry. */
  get maxBatch(): number {
    return this.config.ingest.maxBatch;
  }
}

/** A live event's `traceparent`/`tracestate` as headers, as on stored ones (DESIGN.md §2). */
function failure(error: BusError): { code: string; message: string } {
  return { code: error.code, message: error.message };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
