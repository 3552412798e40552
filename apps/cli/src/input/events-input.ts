import { err, ok, type RejectedEvent, type Result, type ValidationError } from '@runlog/contracts';

// What `runlog publish` reads: CloudEvents in structured JSON mode, as POST /v1/events
// takes them, one JSON document (an event or an array of events) or one event per line.
// Pure: no NATS, no files.

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

/** `event 1 (ev-2): data.status_code: must not be greater than 599`, one line per error. */
export function describeRejected(rejected: readonly RejectedEvent[]): string[] {
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
