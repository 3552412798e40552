import { type Command } from 'commander';
import { CliError } from '../cli-error';
import { messageOf } from '../connection';
import { httpUrl } from '../options';
import { out, outJson, paint } from '../output';
import { drawTree, isTraceTree } from '../trace/draw-tree';

interface TraceOptions {
  readonly url: string;
  readonly json?: boolean;
}

const DEFAULT_URL = 'http://127.0.0.1:4102';
const TIMEOUT_MS = 10_000;

export function registerTrace(program: Command): void {
  program
    .command('trace')
    .description("Draw a trace's spans and groups as a tree (from trace-store)")
    .argument('<request_id>', 'the trace (request id)')
    .option('--url <url>', 'the trace-store base URL', httpUrl, DEFAULT_URL)
    .option('--json', 'print the tree answer as JSON')
    .addHelpText(
      'after',
      `
Reads GET <url>/v1/traces/<request_id>/tree, with RUNLOG_API_KEY (a read key) when set. Each node shows its name, status, duration
and, for LLM calls, tokens and cost. A tree trace-store cut at RUNLOG_TRACE_TREE_MAX_NODES
ends with a line saying so. An unknown trace exits 1.

Examples:
  $ runlog trace req-42
  $ runlog trace 'req:{7}' --url http://trace-store:4102 --json`,
    )
    .action(async (requestId: string, _options: unknown, command: Command) => {
      const options = command.opts<TraceOptions>();
      const tree = await fetchTree(options.url, requestId);
      if (options.json) outJson(tree);
      else if (isTraceTree(tree)) for (const line of drawTree(tree, paint)) out(line);
      else
        throw new CliError(`trace-store at ${options.url} answered something that is not a tree`);
    });
}

async function fetchTree(base: string, requestId: string): Promise<unknown> {
  const url = `${base}/v1/traces/${encodeURIComponent(requestId)}/tree`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json', ...readKeyHeader() },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    throw new CliError(`cannot reach trace-store at ${base}: ${messageOf(cause)}`);
  }
  if (response.status === 404) throw new CliError(`no trace ${requestId}`);
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const error = (body as { error?: { message?: unknown } } | undefined)?.error;
    const message = typeof error?.message === 'string' ? error.message : response.statusText;
    throw new CliError(`trace-store answered ${response.status}: ${message}`);
  }
  return body;
}

/** `Authorization: Bearer $RUNLOG_API_KEY` when set: trace-store needs a read key when it has keys. */
function readKeyHeader(): Record<string, string> {
  const key = process.env.RUNLOG_API_KEY?.trim();
  return key ? { authorization: `Bearer ${key}` } : {};
}
