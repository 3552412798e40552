import { type Bus } from '@runlog/bus';
import {
  type DeliveredEvent,
  FAMILIES,
  type Family,
  hasPairKey,
  keyOfSubjectAttribute,
  type SubjectKey,
} from '@runlog/contracts';
import { Argument, type Command } from 'commander';
import { CliError, usageError } from '../cli-error';
import { type GlobalOptions, withBus } from '../connection';
import { isStreamNotFound } from '../jetstream-errors';
import { cursor, positiveInteger } from '../options';
import { note, out, paint } from '../output';

interface TailOptions extends GlobalOptions {
  readonly after?: string;
  readonly key?: string;
  readonly limit?: number;
  readonly json?: boolean;
}

export function registerTail(program: Command): void {
  program
    .command('tail')
    .description('Replay a family from a cursor, then follow it live (Ctrl-C stops)')
    .addArgument(new Argument('<family>', 'the event family').choices(FAMILIES))
    .option(
      '--after <cursor>',
      'start after this cursor (exclusive; default: the beginning)',
      cursor,
    )
    .option('--key <key>', "only this partition key (agent, canonical: '<thread_id>.<run_id>')")
    .option('--limit <n>', 'stop after n events', positiveInteger)
    .option('--json', 'print each delivered event as one JSON object per line')
    .addHelpText(
      'after',
      `
Each event is one line: cursor kind id key data. When the replay reaches the end of the
stream, "-- caught up at <cursor> --" goes to stderr; live events follow.

Examples:
  $ runlog tail trace --after 1200
  $ runlog tail lease_history --key exec-42 --json
  $ runlog tail agent --key thread-1.run-7 --limit 10`,
    )
    .action(async (family: Family, _options: unknown, command: Command) => {
      await tail(family, command.optsWithGlobals<TailOptions>());
    });
}

async function tail(family: Family, options: TailOptions): Promise<void> {
  const key = options.key === undefined ? undefined : parseKey(family, options.key);
  const stop = new AbortController();
  // The first Ctrl-C ends the subscription cleanly; a second one does not wait.
  const interrupt = (): void => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
  };
  process.on('SIGINT', interrupt);
  try {
    await withBus(options, (bus) => follow(bus, family, key, options, stop.signal));
  } finally {
    process.off('SIGINT', interrupt);
  }
}

async function follow(
  bus: Bus,
  family: Family,
  key: SubjectKey | undefined,
  options: TailOptions,
  signal: AbortSignal,
): Promise<void> {
  let seen = 0;
  try {
    for await (const item of bus.subscribe(family, {
      ...(options.after === undefined ? {} : { after: options.after }),
      ...(key === undefined ? {} : { key }),
      signal,
    })) {
      if (item.type === 'caught_up') {
        note(paint.dim(`-- caught up at ${item.cursor} --`));
      } else if (item.type === 'undecodable') {
        const why = typeof item.errors === 'string' ? item.errors : JSON.stringify(item.errors);
        note(paint.red(`-- undecodable event at ${item.cursor}: ${why} --`));
      } else {
        out(options.json ? JSON.stringify(item.event) : describe(item.event));
        if (options.limit !== undefined && ++seen >= options.limit) return;
      }
    }
  } catch (error) {
    if (isStreamNotFound(error))
      throw new CliError(
        `the ${family} stream does not exist yet (the services create it at start)`,
      );
    throw error;
  }
}

function describe(event: DeliveredEvent): string {
  return [
    paint.bold(event.cursor),
    paint.cyan(event.kind),
    event.id,
    event.subject,
    paint.dim(JSON.stringify(event.data)),
  ].join(' ');
}

function parseKey(family: Family, raw: string): SubjectKey {
  const key = raw.trim() === '' ? undefined : keyOfSubjectAttribute(family, raw);
  if (key === undefined)
    throw usageError(
      hasPairKey(family)
        ? `--key for ${family} must be <thread_id>.<run_id> (each part a subject key token)`
        : '--key must not be blank',
    );
  return key;
}
