import { DEFAULT_MAX_EVENT_BYTES, sinkConfig } from './sink-config';

describe('sinkConfig', () => {
  it('fills in the defaults, the batch size from the transport', () => {
    expect(sinkConfig({}, { batchSize: 256 })).toEqual({
      batchSize: 256,
      batchBytes: 1024 * 1024,
      maxEvents: 10_000,
      maxBytes: 16 * 1024 * 1024,
      lingerMs: 5,
      backoff: { initialMs: 100, maxMs: 5_000 },
      maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
    });
  });

  it('keeps given values and clamps a negative linger to 0', () => {
    const config = sinkConfig(
      { batchSize: 3, maxBufferedEvents: 3, lingerMs: -1, backoff: { maxMs: 7 } },
      { batchSize: 256 },
    );
    expect(config).toMatchObject({ batchSize: 3, maxEvents: 3, lingerMs: 0 });
    expect(config.backoff).toEqual({ initialMs: 100, maxMs: 7 });
  });

  it('throws a RangeError naming the first bad option', () => {
    const bad = (options: Parameters<typeof sinkConfig>[0], maxBatchSize?: number) => () =>
      sinkConfig(options, { batchSize: 10, ...(maxBatchSize ? { maxBatchSize } : {}) });
    expect(bad({ batchSize: 0 })).toThrow(/^batchSize must be a positive number, got 0$/);
    expect(bad({ batchSize: 2_000 }, 1_000)).toThrow('batchSize must be at most 1000');
    expect(bad({ batchBytes: Number.NaN })).toThrow(/^batchBytes must be a positive/);
    expect(bad({ maxBufferedEvents: 5 })).toThrow('maxBufferedEvents must be at least batchSize');
    expect(bad({ backoff: { initialMs: -1 }, maxEventBytes: 0 })).toThrow(/^backoff\.initialMs/);
    expect(bad({ maxEventBytes: Infinity })).toThrow(RangeError);
  });
});
