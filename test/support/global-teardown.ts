export default async function globalTeardown(): Promise<void> {
  await globalThis.__RUNLOG_NATS__?.stop();
  globalThis.__RUNLOG_NATS__ = undefined;
}
