import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/** One model's price in USD per token. */
export interface ModelPrice {
  readonly input_per_token: number;
  readonly output_per_token: number;
}

/**
 * The `RUNLOG_MODEL_PRICES` table (D53): model name to per-token prices. A model is
 * looked up by its exact name, else with a trailing snapshot date stripped
 * (`gpt-4o-2024-08-06` → `gpt-4o`, `claude-3-5-sonnet-20241022` → `claude-3-5-sonnet`).
 */
export class ModelPrices {
  private readonly prices: ReadonlyMap<string, ModelPrice>;

  constructor(prices: Readonly<Record<string, ModelPrice>>) {
    this.prices = new Map(Object.entries(prices));
  }

  /** The price of `model`, by exact name, else without its snapshot date. */
  lookup(model: string): ModelPrice | undefined {
    return this.prices.get(model) ?? this.prices.get(withoutSnapshotDate(model));
  }

  /** The cost in USD of a usage, or undefined when the model has no price. */
  cost(model: string, inputTokens: number, outputTokens: number): number | undefined {
    const price = this.lookup(model);
    if (price === undefined) return undefined;
    return inputTokens * price.input_per_token + outputTokens * price.output_per_token;
  }
}

/** `name-2024-08-06` and `name-20241022` → `name`; any other name is kept. */
export function withoutSnapshotDate(model: string): string {
  return model.replace(/-(\d{4}-\d{2}-\d{2}|\d{8})$/, '');
}

/** A price file that cannot be read or has a bad entry; the message names path and field. */
export class ModelPricesError extends Error {
  override readonly name = 'ModelPricesError';
}

/**
 * Reads a JSON (`.json`) or YAML (any other name) price file:
 * `{"gpt-4o": {"input_per_token": 0.0000025, "output_per_token": 0.00001}}`.
 */
export function loadModelPrices(path: string): ModelPrices {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ModelPricesError(`${path}: cannot be read (${(error as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = path.toLowerCase().endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ModelPricesError(`${path}: is not valid JSON or YAML (${(error as Error).message})`);
  }
  return new ModelPrices(parseModelPrices(parsed, path));
}

/** Checks a parsed price table; `path` names the file in the messages. */
export function parseModelPrices(value: unknown, path: string): Record<string, ModelPrice> {
  if (!isObject(value))
    throw new ModelPricesError(`${path}: must be an object of model name to prices`);
  const prices: Record<string, ModelPrice> = {};
  for (const [model, entry] of Object.entries(value)) {
    if (model.trim() === '') throw new ModelPricesError(`${path}: a model name is empty`);
    if (!isObject(entry))
      throw new ModelPricesError(
        `${path}: ${model} must be an object with input_per_token and output_per_token`,
      );
    for (const key of Object.keys(entry)) {
      if (key !== 'input_per_token' && key !== 'output_per_token')
        throw new ModelPricesError(`${path}: ${model}.${key} is not a known field`);
    }
    const field = (name: keyof ModelPrice): number => {
      const price = entry[name];
      if (typeof price !== 'number' || !Number.isFinite(price) || price < 0)
        throw new ModelPricesError(
          `${path}: ${model}.${name} must be a number of USD per token, 0 or more`,
        );
      return price;
    };
    prices[model] = {
      input_per_token: field('input_per_token'),
      output_per_token: field('output_per_token'),
    };
  }
  return prices;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
