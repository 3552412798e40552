import { startNats, type NatsServerHandle } from '../../libs/testing/src';

declare global {
  var __RUNLOG_NATS__: NatsServerHandle | undefined;
}

/**
 * One NATS server per jest run, shared by every integration test (each uses unique stream
 * names). Workers inherit `RUNLOG_TEST_NATS_URL` from this process's environment.
 */
export default async function globalSetup(): Promise<void> {
  const nats = await startNats();
  globalThis.__RUNLOG_NATS__ = nats;
  process.env.RUNLOG_TEST_NATS_URL = nats.url;
  process.stderr.write(`\n[runlog tests] NATS ${nats.kind} at ${nats.url}`);
  process.stderr.write(
    process.env.DATABASE_URL ? ' · stores: PGlite and PostgreSQL\n' : ' · stores: PGlite\n',
  );
}
