import {
  type Completed,
  instantIso,
  instantMs,
  type KindOf,
  type LeaseHistoryData,
} from '@runlog/contracts';

// The current lease of one execution, folded from its lease_history events and its
// completions (DESIGN.md §3, §4 "lease"). Pure: no NestJS, NATS or SQL, so the
// projection, its tests and a replay all share one answer.

/** The `data` of any lease_history event. */
export type LeaseEventData = LeaseHistoryData[keyof LeaseHistoryData];

/** One stored lease_history event: its stream sequence (the cursor) and the event. */
export interface LeaseEventRow {
  readonly seq: number;
  readonly kind: KindOf<'lease_history'>;
  readonly data: LeaseEventData;
}

/** One stored completion event: its sequence in RUNLOG_COMPLETION and its data. */
export interface CompletionRow {
  readonly seq: number;
  readonly data: Completed;
}

/** Where the lease stands after the last applied event. */
export type LeaseStateName = 'held' | 'expired' | 'revoked';

/** A stable code for an impossible sequence that was applied anyway. */
export type AnomalyCode =
  | 'renewal_of_expired'
  | 'renewal_of_revoked'
  | 'renewal_by_other_owner'
  | 'renewal_without_lease'
  | 'event_after_completion';

/** An impossible sequence, flagged at the cursor of the event that caused it. */
export interface Anomaly {
  readonly cursor: string;
  readonly code: AnomalyCode;
  readonly message: string;
}

/** The `lease` response of DESIGN.md §4. */
export interface LeaseView {
  readonly execution_id: string;
  readonly state: LeaseStateName;
  readonly owner: string | null;
  readonly lease_id: string | null;
  /** RFC 3339 UTC with milliseconds. */
  readonly acquired_at: string | null;
  /** RFC 3339 UTC with milliseconds; null until a renewal after the last acquire or reclaim. */
  readonly renewed_at: string | null;
  readonly renewals: number;
  /** The outcome of the first completion written (lowest seq); null before any. */
  readonly outcome: Completed['outcome'] | null;
  /** The seq of the last applied lease event, as a decimal string. */
  readonly cursor: string;
  /** In cursor order; several may share one cursor. */
  readonly anomalies: readonly Anomaly[];
}

/**
 * The lease view of one execution from ALL its lease events and completions, in any order
 * given: rows are sorted by seq here, so redelivered, reordered or concurrently projected
 * batches give the same answer, and a seq seen twice counts once. Inputs are not mutated.
 * Returns undefined when there is no lease event (a completion alone makes no lease).
 */
export function leaseView(
  executionId: string,
  events: readonly LeaseEventRow[],
  completions: readonly CompletionRow[],
): LeaseView | undefined {
  const rows = bySeq(events);
  const last = rows.at(-1);
  if (last === undefined) return undefined;
  const completion = bySeq(completions)[0];
  const fold: Fold = {
    state: undefined,
    owner: null,
    lease_id: null,
    acquired_at: null,
    renewed_at: null,
    renewals: 0,
    leased: false,
    anomalies: [],
  };
  for (const row of rows) {
    const flag = (code: AnomalyCode, message: string): void => {
      fold.anomalies.push({ cursor: String(row.seq), code, message });
    };
    apply(fold, row, flag);
    if (completion !== undefined && instantMs(row.data.at) > instantMs(completion.data.at)) {
      const done = instantIso(completion.data.at);
      flag(
        'event_after_completion',
        `${row.kind} at ${instantIso(row.data.at)} after completion at ${done}`,
      );
    }
  }
  const outcome = completion?.data.outcome ?? null;
  return {
    execution_id: executionId,
    state: fold.state ?? 'held',
    owner: fold.owner,
    lease_id: fold.lease_id,
    acquired_at: fold.acquired_at,
    renewed_at: fold.renewed_at,
    renewals: fold.renewals,
    outcome: outcome === null || typeof outcome === 'string' ? outcome : { other: outcome.other },
    cursor: String(last.seq),
    anomalies: fold.anomalies,
  };
}

/** The working state of the fold; `state` is undefined before the first event. */
interface Fold {
  state: LeaseStateName | undefined;
  owner: string | null;
  lease_id: string | null;
  acquired_at: string | null;
  renewed_at: string | null;
  renewals: number;
  /** An acquired or reclaimed event was applied. */
  leased: boolean;
  anomalies: Anomaly[];
}

/** A new lease: acquired by its first owner or reclaimed by a new one. */
function start(fold: Fold, owner: string | undefined, leaseId: string | undefined, at: string) {
  fold.state = 'held';
  fold.owner = owner ?? null;
  fold.lease_id = leaseId ?? null;
  fold.acquired_at = at;
  fold.renewed_at = null;
  fold.renewals = 0;
  fold.leased = true;
}

/** Applies one event; anomalies are flagged, never a reason to skip it. */
function apply(
  fold: Fold,
  row: LeaseEventRow,
  flag: (code: AnomalyCode, message: string) => void,
): void {
  const at = instantIso(row.data.at);
  switch (row.kind) {
    case 'acquired':
      start(fold, field(row.data, 'worker_instance_id'), field(row.data, 'lease_id'), at);
      return;
    case 'reclaimed':
      start(fold, field(row.data, 'new_owner'), field(row.data, 'new_lease_id'), at);
      return;
    case 'renewed': {
      const worker = field(row.data, 'worker_instance_id');
      if (fold.state === 'expired') flag('renewal_of_expired', 'renewed after the lease expired');
      if (fold.state === 'revoked')
        flag('renewal_of_revoked', 'renewed after the lease was revoked');
      if (!fold.leased) flag('renewal_without_lease', 'renewed before any acquire or reclaim');
      if (worker !== undefined && fold.owner !== null && worker !== fold.owner) {
        flag('renewal_by_other_owner', `renewed by ${worker} while owned by ${fold.owner}`);
      }
      fold.state = 'held';
      fold.renewals += 1;
      fold.renewed_at = at;
      fold.lease_id = field(row.data, 'lease_id') ?? fold.lease_id;
      return;
    }
    case 'expired':
    case 'revoked':
      fold.state = row.kind;
      return;
  }
}

type OptionalField = 'lease_id' | 'worker_instance_id' | 'new_lease_id' | 'new_owner';

/** An optional string field of any lease event's data (kind and data are not tied by type). */
function field(data: LeaseEventData, name: OptionalField): string | undefined {
  const fields: Partial<Record<OptionalField, unknown>> = data;
  const value = fields[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Rows sorted by seq, one per seq. A seq is one stored message, so its copies are equal;
 * should two ever differ, the tie is broken on content so that any input order gives one
 * answer (only then is anything serialized).
 */
function bySeq<T extends { readonly seq: number }>(rows: readonly T[]): T[] {
  const sorted = [...rows].sort((a, b) => a.seq - b.seq);
  const unique: T[] = [];
  for (const row of sorted) {
    const previous = unique.at(-1);
    if (previous?.seq !== row.seq) unique.push(row);
    else if (JSON.stringify(row) < JSON.stringify(previous)) unique[unique.length - 1] = row;
  }
  return unique;
}
