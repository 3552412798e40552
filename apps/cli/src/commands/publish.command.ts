import { readFile } from 'node:fs/promises';
import { type Bus, isBusError, liveSubject } from '@runlog/bus';
import { decodeBatch, type RunlogEvent } from '@runlog/contracts';
import { type Command } from 'commander';
import { CliError } from '../cli-error';
import { type GlobalOptions, messageOf, withBus } from '../connection';
import { describeRejected, parseEvents } from '../input/events-input';
import { note, out, outJson, paint } from '../output';

interface PublishOptions extends GlobalOptions {
  readonly json?: boolean;
  readonly dryRun?: boolean;
  readonly provision?: boolean;
}

/** Where one event went, as POST /v1/events answers it (live-only kinds: no stream, no cursor). */
interface Accepted {
  readonly index: number;
  readonly id: string;
  readonly stream: string | null;
  readonly cursor: string | null;
  readonly duplicate: boolean;
}

export function registerPublish(program: Command): void {
  program
    .command('publish')
    .description(
      'Validate CloudEvents (a JSON event, a JSON array or NDJSON) against the contracts, then publish them in order',
    )
    .argument('<file>', 'the events file, or - for stdin')
    .option('--json', 'print {"accepted": [...]} (or {"rejected": [...]}) as JSON')
    .option('--dry-run', 'validate only: connect to nothing, publish nothing')
    .option('--provision', 'create or update the runlog streams first, as the services do at start')
    .addHelpText(
      'after',
      `
Prints one line per event: index id stream cursor [duplicate]. Nothing is published when
any event is invalid (each error is printed as "event <index> (<id>): <path>: <message>",
exit 1). Engine lifecycle kinds are live only: they go to live.engine.<model> on core
NATS and print "live" instead of a stream and cursor. Publishing a file again is safe:
ids dedupe (within 2 minutes) and answer the first cursor as a duplicate.

Examples:
  $ runlog publish events.ndjson
  $ cat batch.json | runlog publish - --json
  $ runlog publish --dry-run events.ndjson`,
    )
    .action(async (file: string, _options: unknown, command: Command) => {
      await publish(file, command.optsWithGlobals<PublishOptions>());
    });
}

async function publish(file: string, options: PublishOptions): Promise<void> {
  const parsed = parseEvents(await readSource(file));
  if (!parsed.ok) throw new CliError(`${file}: ${parsed.errors.join('\n  ')}`);
  const inputs = parsed.value;
  // Everything is checked before anything is published (and before connecting).
  const receivedAt = new Date();
  validOrReport(decodeBatch(inputs, { receivedAt }), inputs.length, options);
  if (options.dryRun) {
    if (options.json) outJson({ valid: inputs.length });
    else note(`${inputs.length} valid event(s); nothing published (--dry-run)`);
    return;
  }
  await withBus(
    options,
    async (bus) => {
      const events = validOrReport(
        decodeBatch(inputs, { receivedAt, maxEventBytes: bus.maxEventBytes }),
        inputs.length,
        options,
      );
      await publishInOrder(bus, events, options);
    },
    { provision: options.provision === true },
  );
}

/** The valid events; or every error printed (stderr, or stdout with --json) and exit 1. */
function validOrReport(
  validated: ReturnType<typeof decodeBatch>,
  total: number,
  options: PublishOptions,
): RunlogEvent[] {
  if (validated.ok) return validated.value;
  if (options.json) outJson({ rejected: validated.errors });
  else for (const line of describeRejected(validated.errors)) note(line);
  throw new CliError(
    `${validated.errors.length} of ${total} events are invalid; nothing was published`,
  );
}

/**
 * One at a time, so the stream keeps the file's order (the normalizer reads agent runs in
 * stream order); each line is printed as soon as its PubAck arrives.
 */
async function publishInOrder(
  bus: Bus,
  events: readonly RunlogEvent[],
  options: PublishOptions,
): Promise<void> {
  const accepted: Accepted[] = [];
  for (const [index, event] of events.entries()) {
    let result: Accepted;
    try {
      result = await publishOne(bus, index, event);
    } catch (error) {
      const code = isBusError(error) ? error.code : 'failed';
      if (options.json)
        outJson({ accepted, failed: [{ index, id: event.id, code, message: messageOf(error) }] });
      throw new CliError(
        `event ${index} (${event.id}) was not published: ${messageOf(error)}` +
          (code === 'no_stream'
            ? ' (the services create the streams at start; or pass --provision)'
            : '') +
          `; ${accepted.length} before it were. Publishing again is safe: ids dedupe.`,
      );
    }
    accepted.push(result);
    if (!options.json) out(describe(result, event));
  }
  await bus.flush(); // the live-only ones went out on core NATS
  if (options.json) outJson({ accepted });
}

async function publishOne(bus: Bus, index: number, event: RunlogEvent): Promise<Accepted> {
  if (event.family === 'engine' && event.kind !== 'request_served') {
    // DESIGN.md §3: engine lifecycle kinds are published live and never stored (as ingest does).
    bus.publishLive(event);
    return { index, id: event.id, stream: null, cursor: null, duplicate: false };
  }
  const { stream, cursor, duplicate } = await bus.publish(event);
  return { index, id: event.id, stream, cursor, duplicate };
}

function describe(result: Accepted, event: RunlogEvent): string {
  if (result.stream === null)
    return `${result.index} ${result.id} ${paint.cyan('live')} ${liveSubject(event)}`;
  return [
    result.index,
    result.id,
    result.stream,
    paint.bold(result.cursor ?? ''),
    ...(result.duplicate ? [paint.yellow('duplicate')] : []),
  ].join(' ');
}

async function readSource(file: string): Promise<string> {
  try {
    if (file !== '-') return await readFile(file, 'utf8');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file === '-' ? 'stdin' : file}: ${messageOf(error)}`);
  }
}
