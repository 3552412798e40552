import { streamName } from '@runlog/contracts';
import { testStoreKinds, uniqueName, waitFor } from '@runlog/testing';
import { type LeaseView } from '../../apps/lease-history/src/projection/lease-state';
import {
  completed,
  expectedView,
  getJson,
  type LeaseFixture,
  leaseEvent,
  startLeaseFixture,
  t,
} from './lease-fixtures';
import { withServedFixture } from '../use-fixture';
import { SseClient } from '../support/sse-client';

interface HistoryBody {
  execution_id: string;
  events: Array<{ cursor: string; kind: string; id: string; time: string; data: unknown }>;
  next_after: string | null;
}
interface ErrorBody {
  error: { code: string; details: Array<{ path: string }> };
}

describe.each(testStoreKinds())('lease-history on NATS and %s', (kind) => {
  let fx: LeaseFixture;
  let url: string;
  withServedFixture(
    () => startLeaseFixture(kind),
    (started, at) => ([fx, url] = [started, at]),
  );

  const path = (id: string, tail: string) =>
    `${url}/v1/executions/${encodeURIComponent(id)}/${tail}`;

  it('projects a whole lifecycle and serves the lease, its history a page at a time, and listings', async () => {
    const id = `exec:{${uniqueName('life')}}`;
    const other = uniqueName('revoked');
    const leases = await fx.publish([
      leaseEvent('acquired', id, t(0), { worker_instance_id: 'w1', lease_id: 'L1' }),
      leaseEvent('renewed', id, t(10), { worker_instance_id: 'w1', lease_id: 'L1' }),
      leaseEvent('renewed', id, t(20), { worker_instance_id: 'w1', lease_id: 'L1' }),
      leaseEvent('expired', id, t(30), { prev_owner: 'w1' }),
      leaseEvent('reclaimed', id, t(40), { new_owner: 'w2', new_lease_id: 'L2' }),
      leaseEvent('renewed', id, t(50), { worker_instance_id: 'w2', lease_id: 'L2' }),
      leaseEvent('acquired', other, t(0), { worker_instance_id: 'w2' }),
      leaseEvent('revoked', other, t(5), { revoked_by: 'operator' }),
    ]);
    const completions = await fx.publish([completed(id, 'success', t(60))]);
    await fx.settled();

    const lease = await getJson<LeaseView>(path(id, 'lease'));
    expect(lease.status).toBe(200);
    expect(lease.body).toEqual(expectedView(id, leases, completions));
    expect(lease.body).toMatchObject({
      execution_id: id,
      state: 'held',
      owner: 'w2',
      lease_id: 'L2',
      acquired_at: t(40),
      renewed_at: t(50),
      renewals: 1,
      outcome: 'success',
      cursor: leases[5]!.cursor,
      anomalies: [],
    });

    // History, two at a time, chained by next_after, in cursor order.
    const seen: HistoryBody['events'] = [];
    let after: string | null = '0';
    while (after !== null) {
      const page: { status: number; body: HistoryBody } = await getJson<HistoryBody>(
        `${path(id, 'lease-history')}?limit=2&after=${after}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.events);
      after = page.body.next_after;
    }
    const own = leases.slice(0, 6);
    expect(seen).toEqual(
      own.map((e) => ({ cursor: e.cursor, kind: e.kind, id: e.id, time: e.time, data: e.data })),
    );

    const held = await getJson<{ leases: LeaseView[] }>(`${url}/v1/leases?state=held&owner=w2`);
    expect(held.body.leases.map((l) => l.execution_id)).toContain(id);
    expect(held.body.leases.map((l) => l.execution_id)).not.toContain(other);
    const revoked = await getJson<{ leases: LeaseView[] }>(`${url}/v1/leases?state=revoked`);
    expect(revoked.body.leases.map((l) => l.execution_id)).toEqual([other]);
    const first = await getJson<{ leases: LeaseView[]; next_after: string }>(
      `${url}/v1/leases?limit=1`,
    );
    const second = await getJson<{ leases: LeaseView[] }>(
      `${url}/v1/leases?limit=1&after=${encodeURIComponent(first.body.next_after)}`,
    );
    expect(first.body.leases).toHaveLength(1);
    expect(second.body.leases[0]!.execution_id > first.body.next_after).toBe(true);
  });

  it('describes its API at /docs-json', async () => {
    const { status, body } = await getJson<{ paths: Record<string, unknown> }>(`${url}/docs-json`);
    expect(status).toBe(200);
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/executions/{id}/lease',
        '/v1/executions/{id}/lease-history',
        '/v1/leases',
        '/v1/lease-history/stream',
        '/v1/lease-history/gaps',
        '/health/ready',
      ]),
    );
  });

  it('answers 404 for an unknown execution and 400 naming a bad parameter', async () => {
    for (const tail of ['lease', 'lease-history']) {
      const missing = await getJson<ErrorBody>(path(uniqueName('nobody'), tail));
      expect([tail, missing.status, missing.body.error.code]).toEqual([tail, 404, 'not_found']);
    }
    const bad: Array<[string, string]> = [
      [`${path('x', 'lease-history')}?limit=0`, 'limit'],
      [`${path('x', 'lease-history')}?limit=1001`, 'limit'],
      [`${path('x', 'lease-history')}?after=-1`, 'after'],
      [`${path('x', 'lease-history')}?after=abc`, 'after'],
      [`${url}/v1/leases?state=lost`, 'state'],
      [`${url}/v1/leases?limit=2&limit=3`, 'limit'],
      [`${url}/v1/lease-history/stream?after=x`, 'after'],
    ];
    for (const [target, parameter] of bad) {
      const answer = await getJson<ErrorBody>(target);
      expect([
        target,
        answer.status,
        answer.body.error.code,
        answer.body.error.details[0]?.path,
      ]).toEqual([target, 400, 'invalid_parameter', parameter]);
    }
  });

  it('flags anomalies without rejecting the events, keeps unknown outcomes as {other}, and counts them', async () => {
    const id = uniqueName('odd');
    const leases = await fx.publish([
      leaseEvent('acquired', id, t(0), { worker_instance_id: 'w1' }),
      leaseEvent('expired', id, t(10)),
      leaseEvent('renewed', id, t(20), { worker_instance_id: 'w1' }),
      leaseEvent('renewed', id, t(30), { worker_instance_id: 'w9' }),
      leaseEvent('renewed', id, t(100), { worker_instance_id: 'w1' }),
    ]);
    const completions = await fx.publish([completed(id, 'paused', t(50))]);
    await fx.settled();
    const lease = await getJson<LeaseView>(path(id, 'lease'));
    expect(lease.body).toEqual(expectedView(id, leases, completions));
    expect(lease.body.outcome).toEqual({ other: 'paused' });
    expect(lease.body.renewals).toBe(3);
    expect(lease.body.anomalies.map((a) => [a.cursor, a.code])).toEqual([
      [leases[2]!.cursor, 'renewal_of_expired'],
      [leases[3]!.cursor, 'renewal_by_other_owner'],
      [leases[4]!.cursor, 'event_after_completion'],
    ]);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(
      /runlog_lease_history_anomalies_total\{code="renewal_of_expired"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /runlog_lease_history_events_applied_total\{family="completion"\} [1-9]/,
    );
    expect(metrics).toContain(
      'runlog_lease_history_lag_messages{family="lease_history",state="pending"} 0',
    );
  });

  it("keeps each event's CloudEvents extensions and shows them in its history and SSE frames", async () => {
    const id = uniqueName('ext');
    const extensions = {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tenant: 'acme',
      attempt: 2,
      replay: false,
    };
    const acquired = leaseEvent('acquired', id, t(0), { worker_instance_id: 'w1' });
    const published = await fx.publish([
      { ...acquired, extensions },
      leaseEvent('renewed', id, t(1), { worker_instance_id: 'w1' }),
    ]);
    await fx.settled();
    expect(published[0]!.extensions).toEqual(extensions);
    const history = await getJson<HistoryBody>(path(id, 'lease-history'));
    expect(history.body.events.map((e) => (e as Record<string, unknown>)['extensions'])).toEqual([
      extensions,
      undefined,
    ]);
    expect(Object.keys(history.body.events[1]!)).not.toContain('extensions');
    const stream = await SseClient.open(
      `${url}/v1/lease-history/stream?execution_id=${encodeURIComponent(id)}`,
    );
    try {
      const [frame, plain] = await stream.frames(2);
      expect(JSON.parse(frame!.data)).toEqual({ ...history.body.events[0], extensions });
      expect(Object.keys(JSON.parse(plain!.data) as object)).not.toContain('extensions');
    } finally {
      stream.close();
    }
  });

  it('streams lease events over SSE: replay from a cursor, caught_up, live, and resume with Last-Event-ID', async () => {
    const id = uniqueName('sse');
    const before = await fx.publish([
      leaseEvent('acquired', id, t(0), { worker_instance_id: 'w1' }),
      leaseEvent('renewed', id, t(1), { worker_instance_id: 'w1' }),
      leaseEvent('renewed', id, t(2), { worker_instance_id: 'w1' }),
    ]);
    const stream = `${url}/v1/lease-history/stream?execution_id=${encodeURIComponent(id)}`;
    const first = await SseClient.open(`${stream}&after=${before[0]!.cursor}`);
    try {
      const replay = await first.frames(3);
      expect(replay.slice(0, 2).map((f) => [f.id, f.event])).toEqual(
        before.slice(1).map((e) => [e.cursor, e.kind]),
      );
      expect(JSON.parse(replay[1]!.data)).toEqual({
        cursor: before[2]!.cursor,
        kind: 'renewed',
        id: before[2]!.id,
        time: before[2]!.time,
        data: before[2]!.data,
      });
      expect(replay[2]).toMatchObject({ event: 'caught_up' });
      const [live] = await fx.publish([leaseEvent('expired', id, t(3))]);
      const [frame] = await first.frames(1);
      expect([frame!.id, frame!.event]).toEqual([live!.cursor, 'expired']);
    } finally {
      first.close();
    }
    // A reconnecting browser sends the last id it saw (and the original URL).
    const resumed = await SseClient.open(`${stream}&after=0`, {
      'Last-Event-ID': before[2]!.cursor,
    });
    try {
      const frames = await resumed.frames(2);
      expect(frames.map((f) => f.event)).toEqual(['expired', 'caught_up']);
    } finally {
      resumed.close();
    }
    // A client gone is a stream ended: no ordered consumer is left behind on the server.
    await waitFor(
      'the SSE ordered consumers to go',
      async () => {
        const names: string[] = [];
        for await (const info of fx.bus.manager.consumers.list(streamName('lease_history'))) {
          names.push(info.name);
        }
        return names.length === 1 ? names : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
  });
});
