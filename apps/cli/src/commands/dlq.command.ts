import { type Bus, type DeadLetter, rawRedriveDurable, redriveDurable } from '@runlog/bus';
import { DEADLETTER_STREAM } from '@runlog/contracts';
import { type Command } from 'commander';
import { CliError } from '../cli-error';
import { type GlobalOptions, withBus } from '../connection';
import { consumerName, positiveInteger } from '../options';
import { note, out, outJson, paint, table } from '../output';

interface ListOptions extends GlobalOptions {
  readonly limit: number;
  readonly json?: boolean;
}

interface ReplayOptions extends GlobalOptions {
  readonly max?: number;
  readonly force?: boolean;
  readonly json?: boolean;
}

const PAGE = 1_000;
const decoder = new TextDecoder();

export function registerDlq(program: Command): void {
  const dlq = program
    .command('dlq')
    .description("List a durable consumer's dead letters, or re-drive them to it")
    .addHelpText(
      'after',
      `
Examples:
  $ runlog dlq list lease-history
  $ runlog dlq replay lease-history --max 10`,
    );

  dlq
    .command('list')
    .description('List the dead letters of a durable consumer, oldest first')
    .argument('<consumer>', 'the durable consumer that parked them', consumerName)
    .option('--limit <n>', 'at most n of them', positiveInteger, 100)
    .option('--json', 'print {"consumer", "dead_letters": [...]} as JSON (with each body)')
    .addHelpText(
      'after',
      `
Each dead letter shows its sequence in RUNLOG_DEADLETTER, the family, the cause
(decode_failed, handler, max_deliver), how many deliveries were tried, where the original
lives (stream/cursor) and the reason.

Examples:
  $ runlog dlq list trace-store
  $ runlog dlq list ingest --json`,
    )
    .action(async (consumer: string, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<ListOptions>();
      const letters = await withBus(options, (bus) =>
        bus.deadLetters.list(consumer, { limit: options.limit }),
      );
      if (options.json) outJson({ consumer, dead_letters: letters.map(toJson) });
      else if (letters.length === 0) out(`no dead letters for ${consumer}`);
      else for (const line of render(letters)) out(line);
    });

  dlq
    .command('replay')
    .description('Re-drive dead letters to the consumer that parked them (oldest first)')
    .argument('<consumer>', 'the durable consumer to re-drive them to', consumerName)
    .option('--max <n>', 'only the oldest n (default: all)', positiveInteger)
    .option('--force', 're-drive even when the consumer has no re-drive durable yet')
    .option('--json', 'print {"consumer", "replayed"} as JSON')
    .addHelpText(
      'after',
      `
A re-driven dead letter is delivered again to the same durable consumer, with its original
stream, cursor and subject, by the re-drive durable "<consumer>-redrive-<family>" that
every bus consumer runs beside its own; it is removed from the dead letters. A consumer
without one (ingest's async ingress, or one that never started) would not read them, so
replay refuses unless --force.

Examples:
  $ runlog dlq replay lease-history
  $ runlog dlq replay trace-store --max 1`,
    )
    .action(async (consumer: string, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<ReplayOptions>();
      const replayed = await withBus(options, async (bus) => {
        if (!options.force) await checkRedriveDurables(bus, consumer, options.max);
        return bus.deadLetters.replay(
          consumer,
          options.max === undefined ? {} : { limit: options.max },
        );
      });
      if (options.json) outJson({ consumer, replayed });
      else
        note(
          replayed === 0
            ? `no dead letters for ${consumer}`
            : `re-drove ${replayed} dead letter(s) to ${consumer}`,
        );
    });
}

/** Refuses to re-drive letters of a family nothing would read. */
async function checkRedriveDurables(
  bus: Bus,
  consumer: string,
  max: number | undefined,
): Promise<void> {
  const families = new Set<string>();
  let after = 0;
  let remaining = max ?? Number.POSITIVE_INFINITY;
  while (remaining > 0) {
    const page = await bus.deadLetters.list(consumer, { limit: Math.min(PAGE, remaining), after });
    if (page.length === 0) break;
    for (const letter of page) families.add(letter.family);
    after = page.at(-1)?.deadLetterSeq ?? after;
    remaining -= page.length;
  }
  const missing: string[] = [];
  // A raw-mode consumer (async ingress) has one re-drive durable for every family.
  const raw = await bus.consumerInfo(DEADLETTER_STREAM, rawRedriveDurable(consumer));
  for (const family of raw ? [] : families) {
    const durable = redriveDurable(consumer, family);
    if ((await bus.consumerInfo(DEADLETTER_STREAM, durable)) === undefined) missing.push(durable);
  }
  if (missing.length > 0)
    throw new CliError(
      `no re-drive durable ${missing.join(', ')} on ${DEADLETTER_STREAM}: ${consumer} is not ` +
        'a bus consumer that reads re-driven letters (or it never started), so nothing would ' +
        'handle them. Nothing was re-driven; start the consumer, or pass --force.',
    );
}

function toJson(letter: DeadLetter): Record<string, unknown> {
  return {
    dead_letter_seq: letter.deadLetterSeq,
    consumer: letter.consumer,
    family: letter.family,
    cause: letter.cause,
    reason: letter.reason,
    original_stream: letter.originalStream,
    original_seq: letter.originalSeq,
    original_subject: letter.originalSubject,
    deliveries: letter.deliveries,
    at: letter.at,
    headers: letter.headers,
    body: decoder.decode(letter.body),
  };
}

function render(letters: readonly DeadLetter[]): string[] {
  return table(
    ['SEQ', 'FAMILY', 'CAUSE', 'DELIVERIES', 'ORIGINAL', 'AT', 'REASON'],
    letters.map((letter) => [
      String(letter.deadLetterSeq),
      letter.family,
      paint.red(letter.cause),
      String(letter.deliveries),
      letter.originalStream ? `${letter.originalStream}/${letter.originalSeq}` : '-',
      letter.at || '-',
      letter.reason,
    ]),
  );
}
