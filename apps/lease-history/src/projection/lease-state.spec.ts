import {
  type Completed,
  type CompletionOutcome,
  type Instant,
  type LeaseAcquired,
  type LeaseExpired,
  type LeaseReclaimed,
  type LeaseRevoked,
} from '@runlog/contracts';
import { instantIso } from '@runlog/contracts';
import { seeded, shuffled } from '@runlog/testing';
import { type CompletionRow, type LeaseEventRow, leaseView } from './lease-state';

const ID = 'exec-1';
/** Second `s` of a fixed minute, as RFC 3339 UTC with milliseconds. */
const t = (s: number): string => `2026-03-01T10:00:${String(s).padStart(2, '0')}.000Z`;

type Ids = Pick<LeaseAcquired, 'lease_id' | 'worker_instance_id'>;
const acquired = (seq: number, at: Instant, ids: Ids = {}): LeaseEventRow => {
  const data: LeaseAcquired = { execution_id: ID, ...ids, at };
  return { seq, kind: 'acquired', data };
};
const renewed = (seq: number, at: Instant, ids: Ids = {}): LeaseEventRow => {
  const data: LeaseAcquired = { execution_id: ID, ...ids, at };
  return { seq, kind: 'renewed', data };
};
const expired = (seq: number, at: Instant, prev_owner?: string): LeaseEventRow => {
  const data: LeaseExpired = { execution_id: ID, ...(prev_owner ? { prev_owner } : {}), at };
  return { seq, kind: 'expired', data };
};
const reclaimed = (seq: number, at: Instant, new_owner: string, new_lease_id: string) => {
  const data: LeaseReclaimed = { execution_id: ID, new_owner, new_lease_id, at };
  return { seq, kind: 'reclaimed', data } satisfies LeaseEventRow;
};
const revoked = (seq: number, at: Instant): LeaseEventRow => {
  const data: LeaseRevoked = { execution_id: ID, revoked_by: 'operator', at };
  return { seq, kind: 'revoked', data };
};
const completed = (seq: number, at: Instant, outcome: CompletionOutcome): CompletionRow => {
  const data: Completed = { execution_id: ID, outcome, at };
  return { seq, data };
};

/** The anomalies of a view as `cursor:code`, for compact expectations. */
const codes = (events: LeaseEventRow[], completions: CompletionRow[] = []): string[] =>
  (leaseView(ID, events, completions)?.anomalies ?? []).map((a) => `${a.cursor}:${a.code}`);

// Seqs jump: the stream interleaves other executions.
const lifecycle: LeaseEventRow[] = [
  acquired(10, t(1), { worker_instance_id: 'worker-1', lease_id: 'L1' }),
  renewed(14, t(2), { worker_instance_id: 'worker-1' }),
  renewed(15, t(3), { worker_instance_id: 'worker-1', lease_id: 'L1b' }),
  expired(21, t(4), 'worker-1'),
  reclaimed(30, t(5), 'worker-2', 'L2'),
  renewed(31, t(6), { worker_instance_id: 'worker-2' }),
  revoked(40, t(7)),
];

describe('leaseView', () => {
  it('follows a full lifecycle, every field at each stage', () => {
    const base = { execution_id: ID, outcome: null, anomalies: [] };
    expect(leaseView(ID, lifecycle.slice(0, 3), [])).toEqual({
      ...base,
      ...{ state: 'held', owner: 'worker-1', lease_id: 'L1b', acquired_at: t(1) },
      ...{ renewed_at: t(3), renewals: 2, cursor: '15' },
    });
    expect(leaseView(ID, lifecycle.slice(0, 4), [])).toEqual({
      ...base,
      ...{ state: 'expired', owner: 'worker-1', lease_id: 'L1b', acquired_at: t(1) },
      ...{ renewed_at: t(3), renewals: 2, cursor: '21' },
    });
    expect(leaseView(ID, lifecycle.slice(0, 5), [])).toEqual({
      ...base,
      ...{ state: 'held', owner: 'worker-2', lease_id: 'L2', acquired_at: t(5) },
      ...{ renewed_at: null, renewals: 0, cursor: '30' },
    });
    expect(leaseView(ID, lifecycle, [])).toEqual({
      ...base,
      ...{ state: 'revoked', owner: 'worker-2', lease_id: 'L2', acquired_at: t(5) },
      ...{ renewed_at: t(6), renewals: 1, cursor: '40' },
    });
  });

  it.each<[string, LeaseEventRow[], string[]]>([
    [
      'renewal_of_expired',
      [acquired(1, t(1)), expired(2, t(2)), renewed(3, t(3))],
      ['3:renewal_of_expired'],
    ],
    [
      'renewal_of_revoked',
      [acquired(1, t(1)), revoked(2, t(2)), renewed(3, t(3))],
      ['3:renewal_of_revoked'],
    ],
    [
      'renewal_without_lease',
      [renewed(1, t(1), { worker_instance_id: 'w' })],
      ['1:renewal_without_lease'],
    ],
    [
      'renewal_by_other_owner',
      [
        acquired(1, t(1), { worker_instance_id: 'worker-1' }),
        renewed(2, t(2), { worker_instance_id: 'worker-2' }),
      ],
      ['2:renewal_by_other_owner'],
    ],
    [
      'two codes on one renewal',
      [
        acquired(1, t(1), { worker_instance_id: 'a' }),
        expired(2, t(2)),
        renewed(3, t(3), { worker_instance_id: 'b' }),
      ],
      ['3:renewal_of_expired', '3:renewal_by_other_owner'],
    ],
    [
      'a renewal of a lease only seen expiring',
      [expired(1, t(1)), renewed(2, t(2))],
      ['2:renewal_of_expired', '2:renewal_without_lease'],
    ],
    [
      'the old owner renewing after a reclaim',
      [
        acquired(1, t(1), { worker_instance_id: 'a' }),
        reclaimed(2, t(2), 'b', 'L2'),
        renewed(3, t(3), { worker_instance_id: 'a' }),
      ],
      ['3:renewal_by_other_owner'],
    ],
  ])('flags %s and still applies the event', (_name, events, expected) => {
    expect(codes(events)).toEqual(expected);
    expect(leaseView(ID, events, [])).toMatchObject({ state: 'held', renewals: 1 });
  });

  it('names both owners and keeps the first one on a renewal by another', () => {
    const view = leaseView(
      ID,
      lifecycle.slice(0, 2).concat(renewed(16, t(3), { worker_instance_id: 'worker-2' })),
      [],
    );
    expect(view?.owner).toBe('worker-1');
    expect(view?.anomalies).toEqual([
      {
        cursor: '16',
        code: 'renewal_by_other_owner',
        message: 'renewed by worker-2 while owned by worker-1',
      },
    ]);
  });

  it('sees no anomaly in renewals by the owner or by an unnamed worker', () => {
    const events = [
      acquired(1, t(1), { worker_instance_id: 'worker-1' }),
      renewed(2, t(2), { worker_instance_id: 'worker-1' }),
      renewed(3, t(3)),
      reclaimed(4, t(4), 'worker-2', 'L2'),
      renewed(5, t(5), { worker_instance_id: 'worker-2' }),
    ];
    expect(codes(events)).toEqual([]);
  });

  it('gives the same view whatever the input order', () => {
    const events = [...lifecycle, renewed(41, t(9), { worker_instance_id: 'worker-3' })];
    const completions = [completed(7, t(8), 'success'), completed(9, t(1), 'failure')];
    const expected = leaseView(ID, events, completions);
    expect(expected?.anomalies.map((a) => `${a.cursor}:${a.code}`)).toEqual([
      '41:renewal_of_revoked',
      '41:renewal_by_other_owner',
      '41:event_after_completion',
    ]);
    const orders = events.map((_, i) => [...events.slice(i), ...events.slice(0, i)]);
    orders.push([...events].reverse());
    const random = seeded(42);
    for (let i = 0; i < 50; i++) orders.push(shuffled(events, random));
    for (const order of orders) {
      expect(leaseView(ID, order, [...completions].reverse())).toEqual(expected);
    }
  });

  it('counts a seq seen twice once, whether the same object or a copy', () => {
    const first = acquired(1, t(1), { worker_instance_id: 'w' });
    const renewal = renewed(2, t(2), { worker_instance_id: 'w' });
    const events = [renewal, first, { ...renewal }, renewal, structuredClone(first)];
    expect(leaseView(ID, events, [])).toMatchObject({ renewals: 1, cursor: '2', anomalies: [] });
  });

  it('reads epoch-ms instants as the same instant as their RFC 3339 form', () => {
    const ms = Date.parse(t(5));
    expect(instantIso(ms)).toBe(t(5));
    expect(instantIso('2026-03-01T12:00:05+02:00')).toBe(t(5));
    const view = leaseView(
      ID,
      [acquired(1, ms), renewed(2, ms + 1)],
      [completed(1, t(5), 'success')],
    );
    expect(view).toMatchObject({ acquired_at: t(5), renewed_at: '2026-03-01T10:00:05.001Z' });
    expect(view?.anomalies.map((a) => `${a.cursor}:${a.code}`)).toEqual([
      '2:event_after_completion',
    ]);
  });

  it.each<[string, CompletionOutcome]>([
    ['success', 'success'],
    ['failure', 'failure'],
    ['cancelled', 'cancelled'],
    ['an unknown outcome', { other: 'x' }],
  ])('takes the outcome of the first completion written: %s', (_name, outcome) => {
    const completions = [
      completed(8, t(1), 'failure'),
      completed(5, t(2), 'success'),
      completed(3, t(9), outcome),
    ];
    expect(leaseView(ID, [acquired(1, t(1))], completions)?.outcome).toEqual(outcome);
  });

  it('makes no lease from a completion alone, nor from nothing', () => {
    expect(leaseView(ID, [], [completed(1, t(1), 'success')])).toBeUndefined();
    expect(leaseView(ID, [], [])).toBeUndefined();
  });

  it('flags only lease events strictly later than the first completion', () => {
    const events = [acquired(1, t(1)), renewed(2, t(5)), expired(3, t(6)), revoked(4, t(7))];
    const completions = [completed(2, t(5), 'success'), completed(9, t(0), 'failure')];
    const view = leaseView(ID, events, completions);
    expect(view?.anomalies).toEqual([
      {
        cursor: '3',
        code: 'event_after_completion',
        message: `expired at ${t(6)} after completion at ${t(5)}`,
      },
      {
        cursor: '4',
        code: 'event_after_completion',
        message: `revoked at ${t(7)} after completion at ${t(5)}`,
      },
    ]);
    expect(view).toMatchObject({ state: 'revoked', outcome: 'success' });
  });

  it('leaves its inputs untouched', () => {
    const events = Object.freeze([...lifecycle].reverse().map((row) => Object.freeze(row)));
    const completions = Object.freeze([completed(2, t(1), { other: 'x' })]);
    const before = JSON.stringify([events, completions]);
    const view = leaseView(ID, events, completions);
    expect(JSON.stringify([events, completions])).toBe(before);
    expect(view?.outcome).not.toBe(completions[0]?.data.outcome);
  });
});
