import { type Family } from './families';

const PLAIN_TOKEN = /^[A-Za-z0-9_\-:@{}=+]+$/;
const ENCODED_TOKEN = /^~[A-Za-z0-9_-]+$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Encodes a partition key as one NATS subject token (DESIGN.md §2): the key itself when
 * it matches `^[A-Za-z0-9_\-:@{}=+]+$`, otherwise `~` + base64url (no padding) of its
 * UTF-8 bytes. `~` is outside the plain alphabet, so the encoding is reversible.
 */
export function encodeKeyToken(key: string): string {
  if (key.length === 0) throw new RangeError('a subject key must not be empty');
  // A lone surrogate has no UTF-8 form: it would collide with U+FFFD.
  if (LONE_SURROGATE.test(key)) throw new RangeError('a subject key must be well-formed Unicode');
  if (PLAIN_TOKEN.test(key)) return key;
  return `~${Buffer.from(key, 'utf8').toString('base64url')}`;
}

/** The inverse of {@link encodeKeyToken}. */
export function decodeKeyToken(token: string): string {
  if (token.startsWith('~')) {
    // Only what encodeKeyToken writes: Buffer.from ignores what is not base64url.
    const key = Buffer.from(token.slice(1), 'base64url').toString('utf8');
    if (!ENCODED_TOKEN.test(token) || key.length === 0 || encodeKeyToken(key) !== token)
      throw new RangeError(`not a runlog subject key token: ${token}`);
    return key;
  }
  if (!PLAIN_TOKEN.test(token)) throw new RangeError(`not a runlog subject key token: ${token}`);
  return token;
}

/**
 * A family's partition key as subject tokens: one token for most families, two
 * (`<thread_id>.<run_id>`) for agent and canonical.
 */
export type SubjectKey = string | readonly [string, string];

function keyTokens(key: SubjectKey): string {
  return typeof key === 'string'
    ? encodeKeyToken(key)
    : `${encodeKeyToken(key[0])}.${encodeKeyToken(key[1])}`;
}

/** `events.<family>.<key>`: where a stored event of the family lives. */
export function familySubject(family: Family, key: SubjectKey): string {
  return `events.${family}.${keyTokens(key)}`;
}

/** `events.<family>.>`: everything a family stream captures. */
export function familySubjectFilter(family: Family): string {
  return `events.${family}.>`;
}

/** `ingest.<family>.<key>`: the async ingress subject (stream RUNLOG_INGEST). */
export function ingestSubject(family: Family, key: SubjectKey): string {
  return `ingest.${family}.${keyTokens(key)}`;
}

/** `ingest.>`: everything RUNLOG_INGEST captures. */
export const INGEST_SUBJECT_FILTER = 'ingest.>';

/** `deadletter.<consumer>.<family>`: where a consumer parks what it could not handle. */
export function deadLetterSubject(consumer: string, family: Family | 'unknown'): string {
  return `deadletter.${consumer}.${family}`;
}

/** `deadletter.>`: everything RUNLOG_DEADLETTER captures. */
export const DEADLETTER_SUBJECT_FILTER = 'deadletter.>';

/** `live.engine.<model>`: engine lifecycle events, core NATS only, never stored. */
export function liveEngineSubject(model: string): string {
  return `live.engine.${encodeKeyToken(model)}`;
}

/** `live.agent.<thread>.<run>`: every raw agent event, forwarded by the normalizer. */
export function liveAgentSubject(threadId: string, runId: string): string {
  return `live.agent.${keyTokens([threadId, runId])}`;
}

/** Splits `events.<family>.<key…>` back into family and decoded key tokens. */
export function parseFamilySubject(
  subject: string,
): { family: string; key: readonly string[] } | null {
  const parts = subject.split('.');
  if (parts.length < 3 || parts[0] !== 'events') return null;
  const [, family = '', ...tokens] = parts;
  try {
    return { family, key: tokens.map(decodeKeyToken) };
  } catch {
    return null;
  }
}
