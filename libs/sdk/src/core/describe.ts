// How a caught value reads in a drop or problem report: anything can be thrown, not only an Error.

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
