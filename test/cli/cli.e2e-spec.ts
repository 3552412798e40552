import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { AckPolicy } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { Bus, DEAD_LETTER_HEADERS, type RunningConsumer } from '@runlog/bus';
import {
  deadLetterSubject,
  encode,
  exampleEvent,
  type Family,
  type KindOf,
  streamName,
} from '@runlog/contracts';
import { startNats, type NatsServerHandle, uniqueName, waitFor } from '@runlog/testing';
import {
  generatorTrace,
  type TraceFixture,
  startTraceFixture,
} from '../trace-store/trace-fixtures';

// The `runlog` command line as users run it: the built dist/apps/cli/src/main.js in a
// child process, against a NATS server of its own (runlog's stream names are fixed).

// The failing consumer below dead-letters on purpose: its warnings are expected.
Logger.overrideLogger(['error']);

const root = resolve(__dirname, '../..');
const main = join(root, 'dist/apps/cli/src/main.js');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `runlog <args>` to its end (or until `until` says so, then SIGINT). */
function runlog(
  args: readonly string[],
  { until }: { until?: (run: Run) => boolean } = {},
): Promise<Run> {
  return new Promise((done, fail) => {
    // A clean environment: no NATS_URL or credentials from the test run, no colours.
    const child = spawn(process.execPath, [main, ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    const check = (): void => {
      if (!interrupted && until?.({ code: null, stdout, stderr })) {
        interrupted = true;
        child.kill('SIGINT');
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      check();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      check();
    });
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

/** A producer's CloudEvent (structured JSON, no subject: derived from data). */
function cloudEvent<F extends Family>(
  family: F,
  kind: KindOf<F>,
  id: string,
  data: Record<string, unknown>,
): Record<string, unknown> {
  const { subject: _subject, ...envelope } = exampleEvent(family, kind);
  void _subject;
  return { ...envelope, id, data: { ...(envelope.data as object), ...data } };
}

describe('runlog CLI', () => {
  let nats: NatsServerHandle;
  let bus: Bus;
  let dir: string;
  let natsArgs: string[];

  /** Writes NDJSON to a temp file and answers its path. */
  function ndjson(events: readonly unknown[]): string {
    const file = join(dir, `${uniqueName('events')}.ndjson`);
    writeFileSync(file, events.map((event) => JSON.stringify(event)).join('\n') + '\n');
    return file;
  }

  /** Three trace events of one request, `seq` 0..2. */
  function traceFile(requestId: string): { file: string; ids: string[] } {
    const ids = [0, 1, 2].map(() => uniqueName('ce'));
    const events = ids.map((id, seq) =>
      cloudEvent('trace', 'op_start', id, { request_id: requestId, event_id: `${id}-e`, seq }),
    );
    return { file: ndjson(events), ids };
  }

  /** Publishes a file with the CLI and answers the cursors it printed. */
  async function publish(file: string): Promise<string[]> {
    const run = await runlog([...natsArgs, 'publish', file]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    return lines(run.stdout).map((line) => line.split(' ')[3] ?? '');
  }

  beforeAll(async () => {
    // Builds dist/ when it is older than the sources, as `npm start` does.
    execFileSync('node', [join(root, 'scripts/ensure-built.mjs')], { cwd: root, stdio: 'inherit' });
    nats = await startNats({ dedicated: true });
    natsArgs = ['--nats', nats.url];
    dir = mkdtempSync(join(tmpdir(), 'runlog-cli-'));
    // The test's own view of the server (and the streams, as the services would create them).
    bus = await Bus.connect({
      servers: [nats.url],
      name: uniqueName('cli-test'),
      streams: { replicas: 1, maxAgeMs: {} },
    });
  }, 180_000);

  afterAll(async () => {
    await bus?.close();
    await nats?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('publishes NDJSON in order, printing index id stream cursor, and marks a re-publish as duplicate', async () => {
    const requestId = uniqueName('req');
    const { file, ids } = traceFile(requestId);
    const engine = uniqueName('eng');
    writeFileSync(file, `${JSON.stringify(cloudEvent('engine', 'model_loaded', engine, {}))}\n`, {
      flag: 'a',
    });

    const base = (await bus.manager.streams.info(streamName('trace'))).state.last_seq;
    // --provision is idempotent: the streams exist already and keep their settings.
    const first = await runlog([...natsArgs, 'publish', '--provision', file]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const cursors = [1, 2, 3].map((n) => String(base + n));
    expect(lines(first.stdout)).toEqual([
      `0 ${ids[0]} RUNLOG_TRACE ${cursors[0]}`,
      `1 ${ids[1]} RUNLOG_TRACE ${cursors[1]}`,
      `2 ${ids[2]} RUNLOG_TRACE ${cursors[2]}`,
      `3 ${engine} live live.engine.qwen3-4b`, // engine lifecycle kinds are never stored
    ]);
    expect((await bus.manager.streams.info(streamName('engine'))).state.messages).toBe(0);

    const again = await runlog([...natsArgs, 'publish', file, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({
      accepted: [
        { index: 0, id: ids[0], stream: 'RUNLOG_TRACE', cursor: cursors[0], duplicate: true },
        { index: 1, id: ids[1], stream: 'RUNLOG_TRACE', cursor: cursors[1], duplicate: true },
        { index: 2, id: ids[2], stream: 'RUNLOG_TRACE', cursor: cursors[2], duplicate: true },
        { index: 3, id: engine, stream: null, cursor: null, duplicate: false },
      ],
    });
  });

  it('reports every invalid event by index and field path, exits 1 and publishes nothing', async () => {
    const requestId = uniqueName('req');
    const valid = cloudEvent('trace', 'op_start', uniqueName('ok'), { request_id: requestId });
    const badSeq = cloudEvent('trace', 'op_start', 'bad-seq', { request_id: requestId, seq: -1 });
    const { id: _id, ...noId } = cloudEvent('trace', 'op_end', 'x', { request_id: requestId });
    void _id;
    const before = (await bus.manager.streams.info(streamName('trace'))).state.messages;

    const run = await runlog([...natsArgs, 'publish', ndjson([valid, badSeq, noId])]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(lines(run.stderr)).toEqual([
      expect.stringMatching(/^event 1 \(bad-seq\): data\.seq: /),
      'event 2: id: is required',
      'runlog: 2 of 3 events are invalid; nothing was published',
    ]);
    expect((await bus.manager.streams.info(streamName('trace'))).state.messages).toBe(before);

    const json = await runlog([...natsArgs, 'publish', ndjson([valid, badSeq]), '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      rejected: [
        {
          index: 1,
          id: 'bad-seq',
          errors: [expect.objectContaining({ path: 'data.seq', code: 'out_of_range' })],
        },
      ],
    });

    const notJson = join(dir, 'broken.ndjson');
    writeFileSync(notJson, `${JSON.stringify(valid)}\n{oops\n`);
    const broken = await runlog([...natsArgs, 'publish', notJson]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('line 2: not JSON');
  });

  it('streams --json shows each stream with its count and cursors, and each durable with its lag', async () => {
    const durable = uniqueName('lagging');
    await bus.manager.consumers.add(streamName('trace'), {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
    });
    const trace = (await bus.manager.streams.info(streamName('trace'))).state;

    const run = await runlog([...natsArgs, 'streams', '--json']);
    expect(run.code).toBe(0);
    const { streams } = JSON.parse(run.stdout) as {
      streams: Array<{ stream: string; messages: number; consumers: unknown[] }>;
    };
    expect(streams.map((s) => s.stream)).toEqual([
      'RUNLOG_ENGINE',
      'RUNLOG_LEASE_HISTORY',
      'RUNLOG_COMPLETION',
      'RUNLOG_SIGNAL_DELIVERY',
      'RUNLOG_INSTANCE_TAGS',
      'RUNLOG_TRACE',
      'RUNLOG_PIPELINE',
      'RUNLOG_AGENT',
      'RUNLOG_CANONICAL',
      'RUNLOG_PRODUCER',
      'RUNLOG_INGEST',
      'RUNLOG_DEADLETTER',
    ]);
    expect(streams.find((s) => s.stream === 'RUNLOG_TRACE')).toEqual({
      stream: 'RUNLOG_TRACE',
      family: 'trace',
      exists: true,
      messages: trace.messages,
      first_cursor: '1',
      last_cursor: String(trace.last_seq),
      consumers: [{ durable, pending: trace.messages, in_flight: 0 }],
    });
    expect(streams.find((s) => s.stream === 'RUNLOG_ENGINE')).toMatchObject({
      messages: 0,
      first_cursor: null,
      last_cursor: null,
    });

    const table = await runlog([...natsArgs, 'streams']);
    expect(table.code).toBe(0);
    expect(lines(table.stdout)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(`^RUNLOG_TRACE +${trace.messages} +1 +${trace.last_seq}$`),
        ),
        expect.stringMatching(new RegExp(`^RUNLOG_TRACE +${durable} +${trace.messages} +0$`)),
      ]),
    );
    await bus.manager.consumers.delete(streamName('trace'), durable);
  });

  it('tail --after --limit --json prints exactly the events published after the cursor', async () => {
    const requestId = uniqueName('req');
    const { file, ids } = traceFile(requestId);
    const cursors = await publish(file);
    const after = String(Number(cursors[0]) - 1);

    const run = await runlog([
      ...natsArgs,
      'tail',
      'trace',
      '--after',
      after,
      '--limit',
      '3',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const events = lines(run.stdout).map(
      (line) => JSON.parse(line) as { cursor: string; id: string; kind: string; subject: string },
    );
    expect(events.map((e) => [e.cursor, e.id, e.kind, e.subject])).toEqual(
      ids.map((id, at) => [cursors[at], id, 'op_start', requestId]),
    );
    expect(events[1]).toMatchObject({
      family: 'trace',
      source: 'example/producer@host-1',
      data: { request_id: requestId, event_id: `${ids[1]}-e`, seq: 1 },
    });

    // One line per event: cursor kind id key data.
    const text = await runlog([...natsArgs, 'tail', 'trace', '--key', requestId, '--limit', '1']);
    expect(text.code).toBe(0);
    expect(lines(text.stdout)).toEqual([
      expect.stringMatching(
        new RegExp(`^${cursors[0]} op_start ${ids[0]} ${requestId} \\{"event_id":"${ids[0]}-e",`),
      ),
    ]);
  });

  it('tail says when it caught up, follows live events, and stops cleanly on Ctrl-C', async () => {
    const requestId = uniqueName('req');
    const first = await publish(traceFile(requestId).file);
    let live: Promise<string[]> | undefined;
    const run = await runlog([...natsArgs, 'tail', 'trace', '--key', requestId], {
      until: ({ stdout, stderr }) => {
        // Published once the tail is live: they must arrive too. Then Ctrl-C.
        if (stderr.includes(`-- caught up at ${first[2]} --`))
          live ??= publish(traceFile(requestId).file);
        return lines(stdout).length === 6;
      },
    });
    expect(run.code).toBe(0);
    expect(lines(run.stdout).map((line) => line.split(' ')[0])).toEqual([
      ...first,
      ...(await live!),
    ]);
    expect(run.stderr).toBe(`-- caught up at ${first[2]} --\n`);
  });

  it('usage errors exit 2 with the usage on stderr; --help exits 0 with examples', async () => {
    const unknown = await runlog(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: unknown command 'frobnicate'");
    expect(unknown.stderr).toContain('Usage: runlog [options] [command]');
    expect(unknown.stdout).toBe('');

    const missing = await runlog(['publish']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("error: missing required argument 'file'");
    expect(missing.stderr).toContain('Usage: runlog publish [options] <file>');

    for (const args of [
      ['tail', 'no_such_family'],
      ['tail', 'trace', '--limit', '0'],
      ['tail', 'trace', '--after', 'yesterday'],
      ['streams', '--no-such-option'],
      ['dlq'],
      ['dlq', 'list', 'not.a.durable'],
      ['--nats', 'not a url', 'streams'],
    ]) {
      const run = await runlog(args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(/Usage: runlog|invalid configuration/);
    }

    const help = await runlog(['tail', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: runlog tail [options] <family>');
    expect(help.stdout).toContain('$ runlog tail trace --after 1200');
  });

  it('exits 1 when NATS cannot be reached', async () => {
    const run = await runlog(['--nats', 'nats://127.0.0.1:1', 'streams']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('runlog: cannot connect to NATS at nats://127.0.0.1:1');
  });

  it('dlq list prints an empty list for a consumer with no dead letters', async () => {
    const json = await runlog([...natsArgs, 'dlq', 'list', 'nobody', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ consumer: 'nobody', dead_letters: [] });
    const text = await runlog([...natsArgs, 'dlq', 'list', 'nobody']);
    expect(text).toMatchObject({ code: 0, stdout: 'no dead letters for nobody\n' });
  });

  describe('with a failing consumer', () => {
    let consumer: RunningConsumer | undefined;
    afterAll(async () => {
      await consumer?.stop();
    });

    it('dlq list shows its dead letters and dlq replay re-drives them to the fixed handler', async () => {
      const durable = uniqueName('tags');
      let fixed = false;
      const handled: Array<{ cursor: string; redriven: boolean }> = [];
      // instance_tags: no other test writes it, so this durable sees only these two.
      consumer = await bus.consume({
        durable,
        family: 'instance_tags',
        maxDeliver: 1,
        handler: {
          mode: 'event',
          handle: (event, ctx) => {
            if (!fixed) throw new Error('bug #7');
            handled.push({ cursor: event.cursor, redriven: ctx.redriven });
          },
        },
      });
      const cursors = await publish(
        ndjson([
          cloudEvent('instance_tags', 'attached', uniqueName('tag'), { execution_id: 'x-1' }),
          cloudEvent('instance_tags', 'attached', uniqueName('tag'), { execution_id: 'x-2' }),
        ]),
      );
      await waitFor('two dead letters', async () =>
        (await bus.deadLetters.list(durable)).length === 2 ? true : undefined,
      );

      const list = await runlog([...natsArgs, 'dlq', 'list', durable, '--json']);
      expect(list.code).toBe(0);
      const { dead_letters: letters } = JSON.parse(list.stdout) as {
        dead_letters: Array<Record<string, unknown>>;
      };
      expect(letters).toEqual(
        cursors.map((cursor): unknown =>
          expect.objectContaining({
            consumer: durable,
            family: 'instance_tags',
            cause: 'max_deliver',
            reason: expect.stringContaining('bug #7') as unknown,
            original_stream: 'RUNLOG_INSTANCE_TAGS',
            original_seq: Number(cursor),
            deliveries: 1,
          }),
        ),
      );
      const table = await runlog([...natsArgs, 'dlq', 'list', durable]);
      expect(lines(table.stdout)).toEqual([
        expect.stringMatching(/^SEQ +FAMILY +CAUSE +DELIVERIES +ORIGINAL +AT +REASON$/),
        expect.stringMatching(
          new RegExp(`^\\d+ +instance_tags +max_deliver +1 +RUNLOG_INSTANCE_TAGS/${cursors[0]} `),
        ),
        expect.stringMatching(
          new RegExp(`^\\d+ +instance_tags +max_deliver +1 +RUNLOG_INSTANCE_TAGS/${cursors[1]} `),
        ),
      ]);

      fixed = true;
      const one = await runlog([...natsArgs, 'dlq', 'replay', durable, '--max', '1', '--json']);
      expect(one.code).toBe(0);
      expect(JSON.parse(one.stdout)).toEqual({ consumer: durable, replayed: 1 });
      await waitFor('the first re-driven letter handled', () =>
        handled.length === 1 ? true : undefined,
      );
      const rest = await runlog([...natsArgs, 'dlq', 'replay', durable]);
      expect(rest).toMatchObject({ code: 0, stderr: `re-drove 1 dead letter(s) to ${durable}\n` });
      await waitFor('both re-driven letters handled', () =>
        handled.length === 2 ? true : undefined,
      );
      expect(handled).toEqual(cursors.map((cursor) => ({ cursor, redriven: true })));
      const empty = await runlog([...natsArgs, 'dlq', 'list', durable, '--json']);
      expect(JSON.parse(empty.stdout)).toEqual({ consumer: durable, dead_letters: [] });
    });
  });

  it('dlq replay refuses a consumer that has no re-drive durable, and keeps its dead letters', async () => {
    const ghost = uniqueName('ghost');
    const headers = natsHeaders();
    headers.set(DEAD_LETTER_HEADERS.cause, 'handler');
    headers.set(DEAD_LETTER_HEADERS.reason, 'unsupported');
    await bus.publisher.publishRaw(
      deadLetterSubject(ghost, 'trace'),
      new TextEncoder().encode('{}'),
      headers,
    );
    const run = await runlog([...natsArgs, 'dlq', 'replay', ghost]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`no re-drive durable ${ghost}-redrive-trace on RUNLOG_DEADLETTER`);
    expect(await bus.deadLetters.list(ghost)).toHaveLength(1);
  });
});

describe('runlog trace', () => {
  let fx: TraceFixture;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    execFileSync('node', [join(root, 'scripts/ensure-built.mjs')], { cwd: root, stdio: 'inherit' });
    fx = await startTraceFixture('pglite');
    url = (await fx.service()).url;
    dir = mkdtempSync(join(tmpdir(), 'runlog-cli-trace-'));
  }, 180_000);

  afterAll(async () => {
    await fx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('draws a published trace as a tree with statuses, durations and usage', async () => {
    const builder = generatorTrace(uniqueName('gen'));
    const file = join(dir, 'trace.ndjson');
    writeFileSync(file, builder.events.map((e) => JSON.stringify(encode(e))).join('\n'));
    const published = await runlog(['--nats', fx.server.url, 'publish', file]);
    expect(published.code).toBe(0);
    await fx.settled();
    const tree = `${url}/v1/traces/${encodeURIComponent(builder.requestId)}/tree`;
    await waitFor('the tree', async () => ((await fetch(tree)).status === 200 ? true : undefined));

    const run = await runlog(['trace', builder.requestId, '--url', url]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(lines(run.stdout)).toEqual([
      // 13 events 10 ms apart from 09:00; a tool call never ended, so the trace is open.
      `trace ${builder.requestId}  open  120 ms  2026-11-23T09:00:00.000Z`,
      '└─ agent  ok  5 ms',
      '   ├─ group retry  ok  50 ms',
      '   │  └─ agent.llm  ok  5 ms  120 tokens (100 in, 20 out)  $0.002',
      '   ├─ agent.stream  ok  5 ms  ctx main/yield_0  1 yield(s)',
      '   └─ agent.tool  open  -',
    ]);

    const json = await runlog(['trace', builder.requestId, '--url', url, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(await (await fetch(tree)).json());

    // The trace-store durable is in `streams`, with nothing left to do.
    const streams = await runlog(['--nats', fx.server.url, 'streams', '--json']);
    const trace = (
      JSON.parse(streams.stdout) as {
        streams: Array<{ stream: string; consumers: Array<{ durable: string }> }>;
      }
    ).streams.find((s) => s.stream === 'RUNLOG_TRACE');
    expect(trace?.consumers).toContainEqual({ durable: 'trace-store', pending: 0, in_flight: 0 });
  });

  it('says "no trace <id>" and exits 1 for an unknown trace', async () => {
    const run = await runlog(['trace', 'no-such-trace', '--url', url]);
    expect(run).toMatchObject({ code: 1, stdout: '', stderr: 'runlog: no trace no-such-trace\n' });
  });

  it('exits 1 when trace-store cannot be reached', async () => {
    const run = await runlog(['trace', 'req-1', '--url', 'http://127.0.0.1:1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('runlog: cannot reach trace-store at http://127.0.0.1:1');
  });
});
