import { type DeliveredEvent } from '@runlog/contracts';
import { migrateToLatest, openStore, type Store } from '@runlog/store';
import {
  createTestDatabase,
  seeded,
  type TestDatabase,
  testStoreKinds,
  uniqueName,
} from '@runlog/testing';
import { type Kysely, type Selectable, sql } from 'kysely';
import {
  storedEvents,
  TraceProjection,
} from '../../apps/trace-store/src/projection/trace-projection';
import { insertEvents } from '../../apps/trace-store/src/store/trace-statements';
import {
  MIGRATIONS,
  SCHEMA,
  type TracesTable,
  type TraceStoreDb,
  type UsageTable,
} from '../../apps/trace-store/src/store/trace-store.schema';
import { traceSummary, traceUsage } from '../../apps/trace-store/src/trace/trace-model';
import { typedEvent } from '../bus/bus-fixtures';
import { type Arrival, randomDeliveries, randomTrace } from './random-traces';

// The projection's incremental summaries against the pure model, through SQL on each store:
// random traces delivered scrambled, duplicated, redelivered and cut into random batches,
// taken by two projections at once (two connections on PostgreSQL), then every summary and
// usage row compared with what the model computes from the stored events.
describe.each(testStoreKinds())('trace-store projection on %s', (kind) => {
  let database: TestDatabase;
  const stores: Store<TraceStoreDb>[] = [];
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const open = () =>
      openStore<TraceStoreDb>(
        database.kind === 'postgres'
          ? { kind: 'postgres', url: database.url }
          : { kind: 'pglite', dataDir: database.dataDir },
      );
    stores.push(await open());
    // First as 0001 left it, with a summary row, for the migration test; then the rest.
    const db = stores[0]!.db as Kysely<unknown>;
    const { '0001_init': init } = MIGRATIONS;
    await migrateToLatest(db, SCHEMA, { '0001_init': init! });
    await sql`insert into trace_store.traces (request_id, started_at, ended_at, started_ms,
      ended_ms, duration_ms, status, ops, errors, total_tokens, cost_usd, op_names, events)
      values ('from-0001', '', '', 0, 0, 0, 'ok', 0, 0, 0, 0, '{}', 1)`.execute(db);
    await migrateToLatest(db, SCHEMA, MIGRATIONS);
    // PGlite is one process's embedded database: both projections share it.
    if (kind === 'postgres') stores.push(await open());
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await database?.drop();
  });

  const db = () => stores[0]!.db;

  /** Two projections (replicas on one durable) taking batches from one queue. */
  async function project(batches: readonly Arrival[][]): Promise<void> {
    const projections = [0, 1].map((i) => new TraceProjection((stores[i] ?? stores[0]!).db));
    const queue = [...batches];
    await Promise.all(
      projections.map(async (projection) => {
        for (let batch = queue.shift(); batch; batch = queue.shift()) {
          await projection.apply(batch.map(delivered));
        }
      }),
    );
  }

  /** Each trace's summary row and usage rows next to what the model computes. */
  async function compare(ids: readonly string[]): Promise<void> {
    const events = await storedEvents(db(), ids);
    const summaries = await db()
      .selectFrom('trace_store.traces')
      .selectAll()
      .where('request_id', 'in', ids)
      .execute();
    const usage = await db()
      .selectFrom('trace_store.usage')
      .selectAll()
      .where('request_id', 'in', ids)
      .orderBy('request_id')
      .orderBy('model')
      .execute();
    for (const id of ids) {
      const rows = events.get(id) ?? [];
      const want = traceSummary(id, rows)!;
      const row = summaries.find((s) => s.request_id === id);
      expect([id, row && summaryOf(row)]).toEqual([
        id,
        {
          ...want,
          started_ms: Date.parse(want.started_at),
          ended_ms: Date.parse(want.ended_at),
          op_names: [...want.op_names],
          events: rows.length,
        },
      ]);
      const got = usage.filter((u) => u.request_id === id);
      expect([id, got.map(usageOf)]).toEqual([
        id,
        traceUsage(id, rows).by_model.map((m) => ({
          ...m,
          started_ms: Date.parse(want.started_at),
        })),
      ]);
    }
  }

  it('keeps every summary and usage row equal to the model under random orders, duplicates, batch splits and two projections', async () => {
    const random = seeded(kind === 'postgres' ? 8 : 7);
    const prefix = uniqueName('prop');
    const traces = Array.from({ length: 40 }, (_, t) =>
      randomTrace(random, `${prefix}-${t}`, 1 + Math.floor(random() * 70)),
    );
    await project(randomDeliveries(random, traces, 40));
    await compare(traces.map((_, t) => `${prefix}-${t}`));
  }, 30_000);

  it('rebuilds rows from before migration 0002, or written meanwhile by a replica from before it, on their next batch', async () => {
    const random = seeded(21);
    const prefix = uniqueName('legacy');
    const ids = Array.from({ length: 8 }, (_, t) => `${prefix}-${t}`);
    const traces = ids.map((id) => randomTrace(random, id, 40));
    const batches = randomDeliveries(random, traces, 20);
    const half = Math.floor(batches.length / 2);
    await project(batches.slice(0, half));
    // What 0002 leaves on the rows it finds: every summary column, no state.
    const [old, upgrading] = [ids.slice(0, 4), ids.slice(4)];
    await sql`update trace_store.traces set state = null where request_id = any(${old}::text[])`.execute(
      db(),
    );
    // A replica from before 0002 stores a batch: events and the counts, not the state.
    const later = batches
      .slice(half)
      .flat()
      .filter((a) => upgrading.includes(a.event.data.request_id));
    const sneaked = later.slice(0, Math.ceil(later.length / 3)).map(delivered);
    await db()
      .transaction()
      .execute(async (trx) => {
        const records = sneaked.map((e) => ({
          request_id: e.data.request_id,
          event_id: e.data.event_id,
          cursor: Number(e.cursor),
          kind: e.kind,
          op_name: e.data.op_name ?? null,
          ctx: e.data.ctx,
          timestamp: new Date(e.data.timestamp).toISOString(),
          ts_ms: Date.parse(String(e.data.timestamp)),
          seq: e.data.seq,
          payload: e.data.payload,
        }));
        const { fresh } = await insertEvents(trx, { namespace: 2, traces: upgrading }, records);
        for (const id of upgrading) {
          const added = fresh.filter(([request_id]) => request_id === id).length;
          await sql`update trace_store.traces set events = events + ${added}
                    where request_id = ${id}`.execute(trx);
        }
      });
    await project(batches.slice(half));
    await compare(ids);
    const states = await db()
      .selectFrom('trace_store.traces')
      .select(['request_id', 'events', 'state'])
      .where('request_id', 'in', ids)
      .execute();
    expect(states.filter((row) => row.state?.events !== row.events)).toEqual([]);
  });

  it('migrates a 0001 database: its summary rows stay, without state until touched', async () => {
    const rows = await db()
      .selectFrom('trace_store.traces')
      .select(['request_id', 'status', 'state'])
      .where('request_id', '=', 'from-0001')
      .execute();
    expect(rows).toEqual([{ request_id: 'from-0001', status: 'ok', state: null }]);
  });
});

function delivered({ cursor, event }: Arrival): DeliveredEvent<'trace'> {
  const typed = typedEvent('trace', event.kind, uniqueName('ce'), { ...event.data });
  return { ...typed, cursor: String(cursor) };
}

function summaryOf(row: Selectable<TracesTable>) {
  return {
    request_id: row.request_id,
    started_at: row.started_at,
    ended_at: row.ended_at,
    started_ms: Number(row.started_ms),
    ended_ms: Number(row.ended_ms),
    duration_ms: Number(row.duration_ms),
    status: row.status,
    ops: row.ops,
    errors: row.errors,
    total_tokens: Number(row.total_tokens),
    cost_usd: row.cost_usd,
    op_names: row.op_names,
    events: row.events,
  };
}

function usageOf(row: Selectable<UsageTable>) {
  return {
    model: row.model,
    prompt_tokens: Number(row.input_tokens),
    completion_tokens: Number(row.output_tokens),
    total_tokens: Number(row.total_tokens),
    cost_usd: row.cost_usd,
    calls: row.calls,
    started_ms: Number(row.started_ms),
  };
}
