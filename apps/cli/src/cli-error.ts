/** Exit codes of `runlog`: 0 done, 1 the operation failed, 2 the command line was wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An expected failure: main prints its message on stderr and exits with its code. */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failed,
  ) {
    super(message);
  }
}

/** A wrong command line noticed after parsing (commander reports the rest itself). */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT.usage);
}
