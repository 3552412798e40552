/**
 * Waits for `work` at most `ms`: its value when it resolves in time, `undefined` when it
 * rejects or the time runs out. Never rejects. For shutdown steps that cannot finish while
 * NATS is unreachable.
 */
export async function within<T>(ms: number, work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work.catch(() => undefined),
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
