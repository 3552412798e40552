import { loadConfig } from '../config/runlog-config';
import { describeSetup } from './run-services';

describe('describeSetup (the start line about NATS, the store and access)', () => {
  it('names PGlite and protected mode by default', () => {
    expect(describeSetup(loadConfig({ RUNLOG_DATA_DIR: '/var/lib/runlog' }))).toBe(
      'NATS nats://127.0.0.1:4222 · store PGlite in /var/lib/runlog · protected mode',
    );
  });

  it('names the NATS user and PostgreSQL without its password, and counts the keys', () => {
    const line = describeSetup(
      loadConfig({
        NATS_URL: 'nats://n1:4222,nats://n2:4222',
        NATS_USER: 'ingest',
        NATS_PASS: 'nats-secret',
        DATABASE_URL: 'postgres://runlog:pg-secret@db:5432/runlog',
        RUNLOG_API_KEYS: 'k1-0000000000000000=*;k2-0000000000000000=read',
      }),
    );
    expect(line).toBe(
      'NATS nats://n1:4222,nats://n2:4222 as ingest · store PostgreSQL postgres://runlog:***@db:5432/runlog · 2 API keys',
    );
    expect(line).not.toContain('secret');
  });

  it('says when access control is off', () => {
    expect(describeSetup(loadConfig({ RUNLOG_AUTH: 'off' }))).toMatch(/ · auth off$/);
  });
});
