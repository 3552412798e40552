import { Bus, NOOP_BUS_LOGGER } from '@runlog/bus';
import { startNats, type NatsServerHandle, uniqueName } from '@runlog/testing';
import { finishRun, startRun } from '../../apps/normalizer/src/mapping/run-state';
import { RunStateStore, runKey } from '../../apps/normalizer/src/run-state/run-state-store';

// The bucket name is fixed: a NATS server of its own.
describe('run state in NATS KV', () => {
  let server: NatsServerHandle;
  const buses: Bus[] = [];
  const open = async (): Promise<RunStateStore> => {
    const bus = await Bus.connect(
      {
        servers: [server.url],
        name: uniqueName('run-state'),
        streams: { replicas: 1, maxAgeMs: {} },
        logger: NOOP_BUS_LOGGER,
      },
      { provision: false },
    );
    buses.push(bus);
    return RunStateStore.open(bus);
  };
  beforeAll(async () => {
    server = await startNats({ dedicated: true });
  });
  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close().catch(() => undefined)));
    await server?.stop();
  }, 30_000);

  const start = (by: string) => (state: Parameters<typeof startRun>[0] | undefined) => {
    const outcome = startRun(state ?? { started: false, suspended: false, finished: false }, by);
    return { state: outcome.state, changed: outcome.state !== state, result: outcome.kind };
  };

  it('keeps a run state across a new store and a NATS kill -9 and restart', async () => {
    const [thread, run] = [uniqueName('thread.with.dots'), 'run 1/ü'];
    const first = await open();
    expect(await first.apply(thread, run, start('RUNLOG_AGENT:1'))).toBe('RunStarted');
    expect((await (await open()).read(thread, run)).state).toMatchObject({
      started: true,
      startedBy: 'RUNLOG_AGENT:1',
    });
    await server.restart();
    const after = await open();
    expect(await after.apply(thread, run, start('RUNLOG_AGENT:7'))).toBe('RunResumed');
    // The redelivered first start finds its own position: the same answer as the first time.
    expect(await after.apply(thread, run, start('RUNLOG_AGENT:1'))).toBe('RunStarted');
  });

  it('lets exactly one of two replicas decide RunStarted and RunFinished for a run', async () => {
    const [a, b] = [await open(), await open()];
    const runs = Array.from({ length: 25 }, (_, i) => [uniqueName('t'), `r${i}`] as const);
    const starts = await Promise.all(
      runs.flatMap(([thread, run]) => [
        a.apply(thread, run, start(`RUNLOG_AGENT:${run}:a`)),
        b.apply(thread, run, start(`RUNLOG_AGENT:${run}:b`)),
      ]),
    );
    for (let i = 0; i < runs.length; i++)
      expect([starts[2 * i], starts[2 * i + 1]].sort()).toEqual(['RunResumed', 'RunStarted']);

    const finish = (by: string) => (state: Parameters<typeof finishRun>[0] | undefined) => {
      const outcome = finishRun(state!, by, false);
      return { state: outcome.state, changed: outcome.state !== state, result: outcome.counts };
    };
    const finishes = await Promise.all(
      runs.flatMap(([thread, run]) => [
        a.apply(thread, run, finish(`fa:${run}`)),
        b.apply(thread, run, finish(`fb:${run}`)),
      ]),
    );
    for (let i = 0; i < runs.length; i++)
      expect([finishes[2 * i], finishes[2 * i + 1]].sort()).toEqual([false, true]);
  });

  it('keys any thread and run id reversibly within the KV key alphabet', () => {
    const key = runKey('a.b c*>', 'ключ');
    expect(key).toMatch(/^run\.[-A-Za-z0-9_]+\.[-A-Za-z0-9_]+$/);
    expect(runKey('a', 'b.c')).not.toBe(runKey('a.b', 'c'));
  });
});
