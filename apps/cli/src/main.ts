#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { CliError, EXIT, type ExitCode } from './cli-error';
import { registerDlq } from './commands/dlq.command';
import { registerPublish } from './commands/publish.command';
import { registerStreams } from './commands/streams.command';
import { registerTail } from './commands/tail.command';
import { registerTrace } from './commands/trace.command';
import { messageOf } from './connection';
import { note } from './output';

/** `runlog`: the operator's command line for the runlog bus (DESIGN.md §1–§5). */
function program(): Command {
  const runlog = new Command('runlog')
    .description('Publish, inspect and follow runlog events on NATS JetStream')
    .option(
      '--nats <url>',
      'NATS server URL(s), comma-separated (default: $NATS_URL, else nats://127.0.0.1:4222)',
    )
    // Set before the commands are added, so subcommands inherit them: commander throws
    // instead of exiting (main maps that to exit code 2) and prints the usage after an error.
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      'after',
      `
Exit codes: 0 done, 1 the operation failed (invalid events, not found, server errors),
2 a usage error. Credentials come from NATS_CREDS, NATS_USER + NATS_PASS or NATS_TOKEN.

Examples:
  $ runlog streams
  $ runlog publish events.ndjson
  $ runlog tail trace --after 0 --limit 20
  $ runlog dlq list lease-history
  $ runlog trace req-42`,
    );
  registerStreams(runlog);
  registerPublish(runlog);
  registerTail(runlog);
  registerDlq(runlog);
  registerTrace(runlog);
  return runlog;
}

async function main(argv: readonly string[]): Promise<ExitCode> {
  try {
    await program().parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    // Commander has printed its message (and the help) already: --help is 0, the rest usage.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    note(`runlog: ${messageOf(error)}`);
    return error instanceof CliError ? error.exitCode : EXIT.failed;
  }
}

void main(process.argv).then((code) => {
  process.exitCode = code;
});
