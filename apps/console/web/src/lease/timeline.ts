import { type Anomaly, type HistoryEvent, type Lease } from '../types';

/** A stretch of time the lease was held by one owner (acquired or reclaimed, until it ended). */
export interface Holding {
  readonly owner: string | null;
  readonly from: number;
  /** Undefined while still held. */
  readonly to: number | undefined;
  readonly endedBy: string | undefined;
}

export interface Timeline {
  readonly start: number;
  readonly end: number;
  readonly holdings: readonly Holding[];
  readonly anomaliesByCursor: ReadonlyMap<string, readonly Anomaly[]>;
}

const text = (data: Record<string, unknown>, field: string): string | null => {
  const value = data[field];
  return typeof value === 'string' ? value : null;
};

/** When an event happened: its data's `at` (the fact's time), else the envelope's time. */
export function eventTime(event: HistoryEvent): number {
  const at = event.data['at'];
  const parsed = typeof at === 'number' ? at : typeof at === 'string' ? Date.parse(at) : NaN;
  return Number.isFinite(parsed) ? parsed : Date.parse(event.time);
}

/** The lease's life from its history, in cursor order: who held it, from when to when. */
export function timeline(
  events: readonly HistoryEvent[],
  lease: Lease | undefined,
  now: number,
): Timeline {
  const holdings: Holding[] = [];
  let current: { owner: string | null; from: number } | undefined;
  const close = (to: number, endedBy: string) => {
    if (current) holdings.push({ ...current, to, endedBy });
    current = undefined;
  };
  for (const event of events) {
    const at = eventTime(event);
    switch (event.kind) {
      case 'acquired':
        close(at, 'acquired again');
        current = { owner: text(event.data, 'worker_instance_id'), from: at };
        break;
      case 'reclaimed':
        close(at, 'reclaimed');
        current = { owner: text(event.data, 'new_owner'), from: at };
        break;
      case 'expired':
        close(at, 'expired');
        break;
      case 'revoked':
        close(at, 'revoked');
        break;
      default:
        break;
    }
  }
  const times = events.map(eventTime).filter(Number.isFinite);
  const start = times.length > 0 ? Math.min(...times) : now;
  const last = times.length > 0 ? Math.max(...times) : now;
  if (current) holdings.push({ ...current, to: undefined, endedBy: undefined });
  const anomaliesByCursor = new Map<string, Anomaly[]>();
  for (const anomaly of lease?.anomalies ?? []) {
    const list = anomaliesByCursor.get(anomaly.cursor) ?? [];
    list.push(anomaly);
    anomaliesByCursor.set(anomaly.cursor, list);
  }
  return { start, end: Math.max(last, start + 1), holdings, anomaliesByCursor };
}

/** A position on the axis, in percent. */
export function at(line: Timeline, time: number): number {
  return Math.min(100, Math.max(0, ((time - line.start) / (line.end - line.start)) * 100));
}
