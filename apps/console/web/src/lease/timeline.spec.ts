import { type HistoryEvent, type Lease } from '../types';
import { at, eventTime, timeline } from './timeline';

const t = (s: number) => new Date(Date.UTC(2026, 10, 23, 9) + s * 1000).toISOString();
const ev = (cursor: string, kind: string, s: number, data: Record<string, unknown> = {}) =>
  ({ cursor, kind, id: cursor, time: t(s + 100), data: { at: t(s), ...data } }) as HistoryEvent;

describe('the lease timeline', () => {
  it('reads who held the lease from when to when, and the anomalies by cursor', () => {
    const events = [
      ev('1', 'acquired', 0, { worker_instance_id: 'w1' }),
      ev('2', 'renewed', 10),
      ev('3', 'expired', 20),
      ev('4', 'renewed', 25),
      ev('5', 'reclaimed', 30, { new_owner: 'w2' }),
    ];
    const lease = {
      anomalies: [{ cursor: '4', code: 'renewal_of_expired', message: 'late' }],
    } as unknown as Lease;
    const line = timeline(events, lease, 0);
    expect(line.holdings.map((h) => [h.owner, h.endedBy])).toEqual([
      ['w1', 'expired'],
      ['w2', undefined],
    ]);
    expect(line.end - line.start).toBe(30_000);
    expect(line.anomaliesByCursor.get('4')?.map((a) => a.code)).toEqual(['renewal_of_expired']);
    expect(at(line, Date.parse(t(15)))).toBe(50);
  });

  it("places an event at its data's `at` (epoch ms too), else at the envelope's time", () => {
    expect(eventTime(ev('1', 'renewed', 5))).toBe(Date.parse(t(5)));
    const epoch = { ...ev('1', 'renewed', 5), data: { at: 1_000 } };
    expect(eventTime(epoch)).toBe(1_000);
    const none = { ...ev('1', 'renewed', 5), data: {} };
    expect(eventTime(none)).toBe(Date.parse(t(105)));
  });
});
