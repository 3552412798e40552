import {
  decode,
  encode,
  err,
  ok,
  type Result,
  type RunlogEvent,
  type ValidationError,
} from '@runlog/contracts';

// What `runlog publish` reads: CloudEvents in structured JSON mode, as POST /v1/events
// takes them, one JSON document (an event or an array of events) or one event per line.
// Pure: no NATS, no files.

/** One event that broke the contract: its place in the input, its id if it had one, every error. */
export interface RejectedInput {
  readonly index: number;
  readonly id: string | null;
  readonly errors: readonly ValidationError[];
}

/**
 * The events of a file: a JSON array, a JSON object, or NDJSON (one JSON value per
 * non-blank line). Errors name the line of NDJSON that is not JSON.
 */
export function parseEvents(text: string): Result<unknown[], string[]> {
  const trimmed = text.trim();
  if (trimmed === '') return err(['the input holds no events']);
  try {
    const whole: unknown = JSON.parse(trimmed);
    if (!Array.isArray(whole)) return ok([whole]);
    return whole.length > 0 ? ok(whole) : err(['the input is an empty array']);
  } catch {
    // Not one JSON document: one event per line.
  }
  const inputs: unknown[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, at) => {
    if (line.trim() === '') return;
    try {
      inputs.push(JSON.parse(line));
    } catch (error) {
      problems.push(
        `line ${at + 1}: not JSON (${error instanceof Error ? error.message : String(error)})`,
      );
    }
  });
  return problems.length > 0 ? err(problems) : ok(inputs);
}

export interface ValidateOptions {
  /** The `time` of events that carry none (ingest fills in its receive time the same way). */
  readonly receivedAt?: Date;
  /** The largest encoded event one NATS message can carry; unchecked when absent. */
  readonly maxEventBytes?: number;
}

const encoder = new TextEncoder();

/**
 * Checks every input against the contract with `decode()` (all or nothing, as ingest
 * does): the typed events, or every invalid one by index with each failing path.
 */
export function validateEvents(
  inputs: readonly unknown[],
  { receivedAt = new Date(), maxEventBytes }: ValidateOptions = {},
): Result<RunlogEvent[], RejectedInput[]> {
  const events: RunlogEvent[] = [];
  const rejected: RejectedInput[] = [];
  inputs.forEach((input, index) => {
    const result = decode(input, { receivedAt });
    if (!result.ok) {
      rejected.push({ index, id: idOf(input), errors: result.errors });
      return;
    }
    const size = encoder.encode(JSON.stringify(encode(result.value))).byteLength;
    if (maxEventBytes !== undefined && size > maxEventBytes) {
      rejected.push({
        index,
        id: result.value.id,
        errors: [
          {
            path: '',
            code: 'too_large',
            message: `the event is ${size} bytes encoded; at most ${maxEventBytes} fit in one NATS message`,
          },
        ],
      });
      return;
    }
    events.push(result.value);
  });
  return rejected.length > 0 ? err(rejected) : ok(events);
}

/** `event 1 (ev-2): data.status_code: must not be greater than 599`, one line per error. */
export function describeRejected(rejected: readonly RejectedInput[]): string[] {
  return rejected.flatMap(({ index, id, errors }) =>
    errors.map(
      (error) => `event ${index}${id === null ? '' : ` (${id})`}: ${pathAndMessage(error)}`,
    ),
  );
}

/** `path: message`, without the path the contract's messages usually start with. */
function pathAndMessage({ path, message }: ValidationError): string {
  if (path === '') return message;
  const after = message.slice(path.length);
  const rest = message.startsWith(path) && /^:?\s/.test(after) ? after.replace(/^:?\s+/, '') : '';
  return `${path}: ${rest || message}`;
}

function idOf(input: unknown): string | null {
  if (typeof input !== 'object' || input === null) return null;
  const id = (input as { id?: unknown }).id;
  return typeof id === 'string' ? id : null;
}
