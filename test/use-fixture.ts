// The fixture hooks the service specs share: one fixture per describe (`once`) or per test,
// handed to the describe's own variable by `use`, and closed after.

/** What a fixture must offer to be closed after its tests. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * Call in a describe: starts a fixture before all its tests (`once`) or before each, hands
 * it to `use` (which may await more, e.g. the service's URL), and closes it after.
 */
export function withFixture<F extends Closable>(
  start: () => Promise<F>,
  use: (fx: F) => unknown,
  { once = false }: { once?: boolean } = {},
): void {
  let fx: F | undefined;
  const before = once ? beforeAll : beforeEach;
  const after = once ? afterAll : afterEach;
  before(async () => {
    fx = await start();
    await use(fx);
  });
  after(async () => {
    await fx?.close();
    fx = undefined;
  }, 30_000);
}

/** {@link withFixture} once per describe, for a fixture that serves: `use` gets its URL too. */
export function withServedFixture<F extends Closable & { service(): Promise<{ url: string }> }>(
  start: () => Promise<F>,
  use: (fx: F, url: string) => unknown,
): void {
  withFixture(start, async (fx) => use(fx, (await fx.service()).url), { once: true });
}
