import { type DeliveredEvent } from '@runlog/contracts';
import { migrateToLatest, openStore, type Store } from '@runlog/store';
import {
  createTestDatabase,
  seeded,
  type TestDatabase,
  testStoreKinds,
  uniqueName,
} from '@runlog/testing';
import { type Kysely } from 'kysely';
import {
  storedEvents,
  TraceProjection,
} from '../../apps/trace-store/src/projection/trace-projection';
import {
  type TracePage,
  TraceQueryService,
  type TraceReadLimits,
  traceReadLimits,
  USAGE_MODELS_CAP,
} from '../../apps/trace-store/src/query/trace-query.service';
import {
  MIGRATIONS,
  SCHEMA,
  type TraceStoreDb,
} from '../../apps/trace-store/src/store/trace-store.schema';
import {
  orderEvents,
  type TraceEventRow,
  traceUsage,
  traceWarnings,
} from '../../apps/trace-store/src/trace/trace-model';
import { buildTree } from '../../apps/trace-store/src/trace/trace-tree';
import { typedEvent } from '../bus/bus-fixtures';
import { type Arrival, randomDeliveries, randomTrace } from './random-traces';

// The bounded reads (trace-reads.ts: keyset pages, warnings in SQL, the tree in runs, usage
// from the stored sums) against the pure model over the same stored events, on each store:
// random traces delivered scrambled and duplicated, then read with small pages, small tree
// runs and small limits so that every boundary is crossed many times.
describe.each(testStoreKinds())('trace-store bounded reads on %s', (kind) => {
  let database: TestDatabase;
  let store: Store<TraceStoreDb>;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    store = await openStore<TraceStoreDb>(
      database.kind === 'postgres'
        ? { kind: 'postgres', url: database.url }
        : { kind: 'pglite', dataDir: database.dataDir },
    );
    await migrateToLatest(store.db as Kysely<unknown>, SCHEMA, MIGRATIONS);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  const service = (limits: Partial<TraceReadLimits> = {}) =>
    new TraceQueryService(store, { ...traceReadLimits(10_000), ...limits });

  async function project(batches: readonly Arrival[][]): Promise<void> {
    const projection = new TraceProjection(store.db);
    for (const batch of batches) await projection.apply(batch.map(delivered));
  }

  /** Every page of a trace, following next_after from the start. */
  async function walk(query: TraceQueryService, id: string, limit: number): Promise<TracePage[]> {
    const pages: TracePage[] = [];
    let after = 0;
    for (;;) {
      const answer = await query.page(id, { after, limit });
      if (!answer.found) throw new Error(`${id}: ${answer.missing} not found`);
      pages.push(answer.page);
      if (answer.page.next_after === null) return pages;
      after = Number(answer.page.next_after);
    }
  }

  it('pages, warns, draws and sums every random trace as the model does over all its events', async () => {
    const random = seeded(kind === 'postgres' ? 21 : 20);
    const prefix = uniqueName('reads');
    const ids = Array.from({ length: 30 }, (_, t) => `${prefix}-${t}`);
    const traces = ids.map((id) => randomTrace(random, id, 1 + Math.floor(random() * 90)));
    await project(randomDeliveries(random, traces, 40));
    const stored = await storedEvents(store.db, ids);

    for (const [t, id] of ids.entries()) {
      const rows: TraceEventRow[] = stored.get(id) ?? [];
      const limit = 1 + Math.floor(random() * 12);
      // Small tree limits and runs: most trees are cut, by nodes or by depth, some not.
      const defaults = traceReadLimits(1 + Math.floor(random() * 40));
      const limits: TraceReadLimits = {
        ...defaults,
        tree: { ...defaults.tree, depth: 1 + (t % 8) },
        treeRun: { limit: 1 + Math.floor(random() * 9), maxBytes: 1 << 20 },
      };
      const query = service(limits);
      const pages = await walk(query, id, limit);
      expect([id, pages.flatMap((page) => page.events)]).toEqual([id, orderEvents(rows)]);
      expect(pages.every((page) => page.events.length <= limit)).toBe(true);
      expect(pages.slice(0, -1).every((page) => page.events.length === limit)).toBe(true);
      const warnings = traceWarnings(rows);
      expect([id, pages[0]!.warnings, pages[0]!.warnings_omitted]).toEqual([
        id,
        warnings.slice(0, 100),
        warnings.length > 100 ? warnings.length - 100 : undefined,
      ]);
      expect(pages.slice(1).flatMap((page) => page.warnings)).toEqual([]);
      expect([id, await query.tree(id)]).toEqual([id, buildTree(id, rows, limits.tree)]);
      expect([id, await query.usage(id)]).toEqual([id, traceUsage(id, rows)]);
    }
  }, 60_000);

  it('cuts a page at its byte bound, and the walk still brings every event once', async () => {
    const id = uniqueName('heavy');
    const events = Array.from({ length: 12 }, (_, seq) => event(id, seq, 'x'.repeat(300)));
    await new TraceProjection(store.db).apply(events);
    const query = service({ pageMaxBytes: 1_000 });
    const pages = await walk(query, id, 100);
    // About 330 bytes of JSON each: three fit under 1,000, the fourth starts before it.
    expect(pages.map((page) => page.events.length)).toEqual([4, 4, 4]);
    expect(pages.flatMap((page) => page.events.map((e) => e.event_id))).toEqual(
      events.map((e) => e.data.event_id),
    );
  });

  it('flags a seq gap at the first event, in event order, of the seq after the hole', async () => {
    const id = uniqueName('gap');
    // seq 0, then two events of seq 3 (the later-stored one first in time), then seq 4.
    const events = [
      event(id, 0, 'a'),
      event(id, 3, 'b', 9),
      event(id, 3, 'c', 2),
      event(id, 4, 'd'),
    ];
    await new TraceProjection(store.db).apply(events);
    const answer = await service().page(id, { after: 0, limit: 10 });
    const rows = (await storedEvents(store.db, [id])).get(id) ?? [];
    expect(answer.found && answer.page.warnings).toEqual(traceWarnings(rows));
    expect(answer.found && answer.page.warnings.map((w) => [w.code, w.event_id])).toEqual([
      ['seq_gap', `${id}-e3c`],
    ]);
  });

  it('answers which of trace and cursor it does not know', async () => {
    const id = uniqueName('known');
    const other = uniqueName('other');
    const events = [event(id, 0, 'a'), event(other, 0, 'b')];
    await new TraceProjection(store.db).apply(events);
    const query = service();
    expect(await query.page(id, { after: Number(events[1]!.cursor), limit: 10 })).toEqual({
      found: false,
      missing: 'after',
    });
    expect(await query.page(uniqueName('none'), { after: 1, limit: 10 })).toEqual({
      found: false,
      missing: 'trace',
    });
    expect(await query.page(uniqueName('none'), { after: 0, limit: 10 })).toEqual({
      found: false,
      missing: 'trace',
    });
    expect(await query.tree(uniqueName('none'))).toBeUndefined();
    expect(await query.usage(uniqueName('none'))).toBeUndefined();
  });

  it('lists the first 1,000 models of a usage answer by name, counts the rest, and totals them all', async () => {
    const id = uniqueName('models');
    // A start far from the other tests' traces, for the range of GET /v1/usage.
    const startMs = Date.UTC(2031, 0, 1) + Math.floor(Math.random() * 1e9);
    const models = USAGE_MODELS_CAP + 3;
    const usage = (i: number): DeliveredEvent<'trace'> => ({
      ...typedEvent('trace', 'llm_usage', uniqueName('ce'), {
        event_id: `${id}-u${i}`,
        request_id: id,
        op_name: 'op',
        ctx: ['main'],
        timestamp: new Date(startMs + i).toISOString(),
        seq: i,
        // Named so that code-unit order and numeric order differ (m-1000 < m-101).
        payload: {
          model: `m-${i}`,
          prompt_tokens: 2,
          completion_tokens: 1,
          total_tokens: 3,
          cost_usd: 0.5,
        },
      }),
      cursor: String(++cursor),
    });
    const events = Array.from({ length: models }, (_, i) => usage(i));
    await new TraceProjection(store.db).apply(events);
    const query = service();
    const answer = await query.usage(id);
    const names = events.map((e) => (e.data.payload as { model: string }).model).sort();
    expect(answer?.by_model.map((m) => m.model)).toEqual(names.slice(0, USAGE_MODELS_CAP));
    expect(answer?.by_model_omitted).toBe(3);
    expect(answer?.total).toEqual({
      prompt_tokens: 2 * models,
      completion_tokens: models,
      total_tokens: 3 * models,
      cost_usd: 0.5 * models,
      calls: models,
    });
    const across = await query.usageByModel({ since: startMs, until: startMs + 1 });
    expect(across.by_model.map((m) => m.model)).toEqual(names.slice(0, USAGE_MODELS_CAP));
    expect(across.by_model_omitted).toBe(3);
    const one = await query.usageByModel({ model: 'm-7', since: startMs, until: startMs + 1 });
    expect(one).toEqual({
      by_model: [
        {
          model: 'm-7',
          prompt_tokens: 2,
          completion_tokens: 1,
          total_tokens: 3,
          cost_usd: 0.5,
          calls: 1,
        },
      ],
    });
  });
});

let cursor = 1_000_000;

/**
 * An annotation event of seq `seq` (at `ms`, default `seq`, after a fixed instant), at a
 * cursor of its own; its event_id ends with the seq and the value.
 */
function event(requestId: string, seq: number, value: string, ms = seq): DeliveredEvent<'trace'> {
  const data = {
    event_id: `${requestId}-e${seq}${value.length === 1 ? value : ''}`,
    request_id: requestId,
    op_name: 'op',
    ctx: ['main'],
    timestamp: new Date(Date.UTC(2026, 0, 1) + ms).toISOString(),
    seq,
    payload: { key: 'k', value },
  };
  return { ...typedEvent('trace', 'annotation', uniqueName('ce'), data), cursor: String(++cursor) };
}

function delivered({ cursor: at, event: e }: Arrival): DeliveredEvent<'trace'> {
  return { ...typedEvent('trace', e.kind, uniqueName('ce'), { ...e.data }), cursor: String(at) };
}
