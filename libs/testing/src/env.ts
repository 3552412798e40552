/** The URL of the run's shared NATS server, published by the jest global setup. */
export function testNatsUrl(): string {
  const url = process.env.RUNLOG_TEST_NATS_URL;
  if (!url) {
    throw new Error(
      'RUNLOG_TEST_NATS_URL is not set: run integration tests through jest (test/support/global-setup.ts)',
    );
  }
  return url;
}
