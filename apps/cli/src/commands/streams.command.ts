import { type Bus } from '@runlog/bus';
import {
  DEADLETTER_STREAM,
  FAMILIES,
  type Family,
  INGEST_STREAM,
  streamName,
} from '@runlog/contracts';
import { type Command } from 'commander';
import { type GlobalOptions, withBus } from '../connection';
import { out, outJson, paint, table } from '../output';

interface StreamsOptions extends GlobalOptions {
  readonly json?: boolean;
}

/** A durable consumer's backlog: `pending` is its lag, `in_flight` delivered but not acked. */
interface ConsumerRow {
  readonly durable: string;
  readonly pending: number;
  readonly in_flight: number;
}

/** One runlog stream; cursors are null when it holds nothing (as GET /v1/families answers). */
interface StreamRow {
  readonly stream: string;
  readonly family: Family | null;
  readonly exists: boolean;
  readonly messages: number;
  readonly first_cursor: string | null;
  readonly last_cursor: string | null;
  readonly consumers: readonly ConsumerRow[];
}

export function registerStreams(program: Command): void {
  program
    .command('streams')
    .description(
      'Show every runlog stream: message count, first and last cursor, and its durable consumers with their lag',
    )
    .option('--json', 'print {"streams": [...]} as JSON')
    .addHelpText(
      'after',
      `
LAG is the consumer's num_pending (not yet delivered), IN FLIGHT its num_ack_pending
(delivered, not yet acked). A stream the services have not created yet shows as missing.

Examples:
  $ runlog streams
  $ runlog --nats nats://10.0.0.5:4222 streams --json`,
    )
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<StreamsOptions>();
      const rows = await withBus(options, async (bus) => {
        const found: StreamRow[] = [];
        for (const family of FAMILIES)
          found.push(await readStream(bus, streamName(family), family));
        found.push(await readStream(bus, INGEST_STREAM, null));
        found.push(await readStream(bus, DEADLETTER_STREAM, null));
        return found;
      });
      if (options.json) outJson({ streams: rows });
      else for (const line of render(rows)) out(line);
    });
}

async function readStream(bus: Bus, stream: string, family: Family | null): Promise<StreamRow> {
  const state = (await bus.streamInfo(stream))?.state;
  if (state === undefined) {
    const none = { messages: 0, first_cursor: null, last_cursor: null, consumers: [] };
    return { stream, family, exists: false, ...none };
  }
  const consumers: ConsumerRow[] = [];
  // Ordered consumers (replays, tails) are ephemeral: only durables have a lag worth showing.
  for (const info of await bus.durables(stream)) {
    consumers.push({
      durable: info.name,
      pending: info.num_pending,
      in_flight: info.num_ack_pending,
    });
  }
  consumers.sort((a, b) => a.durable.localeCompare(b.durable));
  const stored = state.messages > 0;
  return {
    stream,
    family,
    exists: true,
    messages: state.messages,
    first_cursor: stored ? String(state.first_seq) : null,
    last_cursor: stored ? String(state.last_seq) : null,
    consumers,
  };
}

function render(rows: readonly StreamRow[]): string[] {
  const streams = table(
    ['STREAM', 'MESSAGES', 'FIRST', 'LAST'],
    rows.map((row) =>
      row.exists
        ? [row.stream, String(row.messages), row.first_cursor ?? '-', row.last_cursor ?? '-']
        : [row.stream, paint.yellow('missing'), '-', '-'],
    ),
  );
  const durables = rows.flatMap((row) =>
    row.consumers.map((c) => [
      row.stream,
      c.durable,
      c.pending > 0 ? paint.yellow(String(c.pending)) : String(c.pending),
      String(c.in_flight),
    ]),
  );
  if (durables.length === 0) return [...streams, '', paint.dim('no durable consumers')];
  return [...streams, '', ...table(['STREAM', 'CONSUMER', 'LAG', 'IN FLIGHT'], durables)];
}
