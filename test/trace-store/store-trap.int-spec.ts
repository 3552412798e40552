import { PGlite } from '@electric-sql/pglite';
import {
  classifyStoreError,
  openStore,
  ReopeningPGlite,
  storeReadiness,
  StoreTrapError,
} from '@runlog/store';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';

/** A jsonb literal deep enough to trap PGlite's WebAssembly build (issue 17). */
function deepJson(levels: number): string {
  let json = 'null';
  for (let i = 0; i < levels; i++) json = `{"a":${json}}`;
  return json;
}

describe('an embedded store that traps', () => {
  it('is closed and reopened: the query fails as poison, the data stays, and the next query answers', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'trap-'));
    const fatal: string[] = [];
    const store = await openStore<unknown>(
      { kind: 'pglite', dataDir },
      { onFatal: (r) => fatal.push(r) },
    );
    try {
      await sql`create table kept (id int primary key)`.execute(store.db);
      await sql`insert into kept values (1), (2)`.execute(store.db);
      const trapped = await sql`select ${deepJson(3_000)}::jsonb as j`
        .execute(store.db)
        .catch((e: unknown) => e);
      expect(trapped).toBeInstanceOf(StoreTrapError);
      expect(classifyStoreError(trapped)).toBe('poison');
      expect(store.reopened).toBe(1);
      const { rows } = await sql<{ id: number }>`select id from kept order by id`.execute(store.db);
      expect(rows.map((row) => row.id)).toEqual([1, 2]);
      await expect(storeReadiness(store).check()).resolves.toMatchObject({
        kind: 'pglite',
        reopened: 1,
      });
      expect(fatal).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('that cannot be reopened is broken with the reason (what readiness answers) and calls its fatal hook once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'trap-'));
    const fatal: string[] = [];
    let opened = 0;
    const pglite = await ReopeningPGlite.open(
      dataDir,
      (reason) => fatal.push(reason),
      async (dir) => {
        if (++opened > 1) throw new Error('disk gone');
        return PGlite.create(dir);
      },
    );
    try {
      const trapped = await pglite
        .query(`select $1::jsonb`, [deepJson(3_000)])
        .catch((e: unknown) => e);
      expect(trapped).toBeInstanceOf(StoreTrapError);
      expect(fatal).toHaveLength(1);
      expect(fatal[0]).toMatch(/could not be reopened: disk gone/);
      expect(pglite.broken).toBe(fatal[0]);
      const next = await pglite.query('select 1', []).catch((e: unknown) => e);
      expect(classifyStoreError(next)).toBe('transient');
      expect(fatal).toHaveLength(1);
    } finally {
      await pglite.close();
    }
  });

  it('tells an outage from poison by SQLSTATE class and socket error', () => {
    const pg = (code: string) => Object.assign(new Error(code), { code });
    expect(classifyStoreError(pg('ECONNREFUSED'))).toBe('transient');
    expect(classifyStoreError(pg('57P01'))).toBe('transient'); // admin_shutdown
    expect(classifyStoreError(pg('57P03'))).toBe('transient'); // cannot_connect_now (starting up)
    expect(classifyStoreError(pg('08006'))).toBe('transient');
    expect(classifyStoreError(pg('53300'))).toBe('transient'); // too_many_connections
    expect(classifyStoreError(new Error('Connection terminated unexpectedly'))).toBe('transient');
    expect(classifyStoreError(pg('22021'))).toBe('poison'); // a NUL in text
    expect(classifyStoreError(pg('22P05'))).toBe('poison'); // \u0000 in jsonb
    expect(classifyStoreError(pg('23505'))).toBe('poison');
    expect(classifyStoreError(pg('54001'))).toBe('poison'); // statement too complex
    expect(classifyStoreError(pg('42P01'))).toBe('unknown'); // a missing table is a bug, not this event
    expect(classifyStoreError(new Error('boom'))).toBe('unknown');
  });
});
