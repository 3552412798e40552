import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './runlog-config';
import { loadModelPrices, ModelPrices, withoutSnapshotDate } from './model-prices';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'runlog-prices-spec-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('model prices (D53)', () => {
  it('strips a trailing snapshot date, dashed or not, and nothing else', () => {
    expect(withoutSnapshotDate('gpt-4o-2024-08-06')).toBe('gpt-4o');
    expect(withoutSnapshotDate('claude-3-5-sonnet-20241022')).toBe('claude-3-5-sonnet');
    expect(withoutSnapshotDate('gpt-4o')).toBe('gpt-4o');
    expect(withoutSnapshotDate('model-2024')).toBe('model-2024');
  });

  it('prices by the exact name first, else without the date; an unknown model has no cost', () => {
    const prices = new ModelPrices({
      'gpt-4o': { input_per_token: 1, output_per_token: 2 },
      'gpt-4o-2024-08-06': { input_per_token: 10, output_per_token: 20 },
    });
    expect(prices.cost('gpt-4o-2024-08-06', 1, 1)).toBe(30);
    expect(prices.cost('gpt-4o-2024-11-20', 1, 1)).toBe(3);
    expect(prices.cost('gpt-5', 1, 1)).toBeUndefined();
  });

  it('reads JSON and YAML files', () => {
    const json = file('p.json', '{"m": {"input_per_token": 0.5, "output_per_token": 1}}');
    const yaml = file('p.yaml', 'm:\n  input_per_token: 0.5\n  output_per_token: 1\n');
    expect(loadModelPrices(json).cost('m', 2, 1)).toBe(2);
    expect(loadModelPrices(yaml).cost('m-20250101', 2, 1)).toBe(2);
  });

  it.each([
    ['a list', '- 1', /must be an object of model name to prices/],
    ['a bad price', 'm:\n  input_per_token: -1\n  output_per_token: 1', /m\.input_per_token must/],
    ['a missing price', 'm:\n  input_per_token: 1', /m\.output_per_token must/],
    ['an unknown field', 'm:\n  input: 1', /m\.input is not a known field/],
    ['bad YAML', 'm: [', /is not valid JSON or YAML/],
  ])('refuses %s at start-up, naming the variable, the path and the field', (_, text, message) => {
    const path = file(`bad-${Math.random()}.yaml`, text);
    expect(() => loadConfig({ RUNLOG_MODEL_PRICES: path })).toThrow(
      new RegExp(`RUNLOG_MODEL_PRICES: ${path.replace(/[.]/g, '\\.')}: .*${message.source}`),
    );
  });

  it('names a missing file', () => {
    expect(() => loadConfig({ RUNLOG_MODEL_PRICES: join(dir, 'none.json') })).toThrow(
      /RUNLOG_MODEL_PRICES: .*none\.json: cannot be read/,
    );
  });

  it('defaults to no prices and OTLP_HTTP_PORT 4318; off is no listener', () => {
    expect(loadConfig({}).otlp).toEqual({ httpPort: 4318, modelPrices: undefined });
    expect(loadConfig({ OTLP_HTTP_PORT: 'off' }).otlp.httpPort).toBeUndefined();
    expect(loadConfig({ OTLP_HTTP_PORT: '0' }).otlp.httpPort).toBe(0);
    expect(() => loadConfig({ OTLP_HTTP_PORT: 'on' })).toThrow(/OTLP_HTTP_PORT/);
  });
});
