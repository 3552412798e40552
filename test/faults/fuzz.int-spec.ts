// A seeded fuzzer over every family and every door (issue 17): POST /v1/events, async
// ingress (`ingest.<family>.<key>`) and a publish straight to `events.<family>.<key>`
// that bypasses ingest, against the four services in one process. Valid events, ingest's
// mutations and hostile JSON (depth, NUL, lone surrogates, huge strings and numbers,
// prototype names as keys, wrong types). It passes when no service answers 5xx, every
// refusal names a path, every accepted event can be read back (trace-store, lease-history,
// the normalizer's canonical stream, the family stream or the live engine subject), and
// the dead letters are exactly the hostile events of the two bus doors: nothing innocent
// is parked, nothing hostile is kept. RUNLOG_FUZZ_SEED replays a run.
import { type DeadLetter } from '@runlog/bus';
import { DURABLES, FAMILIES } from '@runlog/contracts';
import { Rng } from '../support/event-mutations';
import { describeCase, type Door, type FuzzCase, fuzzCase } from './fuzz-cases';
import { CONSUMED, type FuzzFixture, startFuzzFixture } from './fuzz-fixtures';
import { readBack } from './fuzz-read-back';

const SEED = Number(process.env.RUNLOG_FUZZ_SEED ?? 0xf0552026);
/** Cases per family and door: the direct door has only the four consumed families. */
const PER_FAMILY: Record<Door, number> = { http: 12, async: 12, direct: 24 };
const DEAD_LETTER_MSG_ID = 'Runlog-Dl-Msg-Id';

interface Tally {
  tried: number;
  accepted: number;
  refused: number;
  parked: number;
}

/** The cases of one seed: the same seed, the same cases, in the same order. */
function casesOf(seed: number): FuzzCase[] {
  const rng = new Rng(seed);
  const cases: FuzzCase[] = [];
  let index = 0;
  for (const door of ['http', 'async', 'direct'] as const) {
    const families = door === 'direct' ? FAMILIES.filter((f) => CONSUMED[f]) : FAMILIES;
    for (const family of families)
      for (let n = 0; n < PER_FAMILY[door]; n++) cases.push(fuzzCase(rng, door, family, index++));
  }
  return cases;
}

type NamedErrors = Array<{ path?: unknown; code?: unknown }> | undefined;

/** The errors a refusal names, whatever door it came through; `undefined` when unreadable. */
function errorsOf(value: unknown): NamedErrors {
  return Array.isArray(value) ? (value as Array<{ path?: unknown; code?: unknown }>) : undefined;
}

/**
 * The errors of a dead letter's reason (`prefix` then their JSON). A reason is cut at 2,000
 * characters (a NATS header, dead-letter-writer.ts): a cut one must still start by naming
 * the first error's path.
 */
function reasonErrors(reason: string, prefix = ''): NamedErrors {
  const json = reason.startsWith(prefix) ? reason.slice(prefix.length) : reason;
  try {
    return errorsOf(JSON.parse(json));
  } catch {
    const cut = reason.endsWith('...') && /^\[\{"path":"/.test(json);
    return cut ? [{ path: '(cut)', code: '(cut)' }] : undefined;
  }
}

/** A problem unless every error names a path (every case is a JSON object: none is the empty path). */
function pathProblem(errors: NamedErrors): string | undefined {
  if (errors === undefined || errors.length === 0) return 'a refusal without errors';
  const bad = errors.filter(
    (e) => typeof e.path !== 'string' || e.path === '' || typeof e.code !== 'string',
  );
  if (bad.length > 0) return `errors without a path or code: ${JSON.stringify(bad)}`;
  return undefined;
}

describe('fuzzer over every family and every door (seeded)', () => {
  let fx: FuzzFixture;
  beforeAll(async () => {
    fx = await startFuzzFixture();
  }, 60_000);
  afterAll(() => fx?.close(), 30_000);

  it(`no 5xx, refusals name a path, accepted events read back, only hostile ones parked (seed 0x${SEED.toString(16)})`, async () => {
    const cases = casesOf(SEED);
    const problems: string[] = [];
    const problem = (c: FuzzCase, what: string, value?: unknown) => {
      const shown = value === undefined ? '' : `: ${JSON.stringify(value)?.slice(0, 600)}`;
      problems.push(`${what}${shown}  <- ${describeCase(c)}`);
    };
    const tally: Record<Door, Tally> = {
      http: { tried: 0, accepted: 0, refused: 0, parked: 0 },
      async: { tried: 0, accepted: 0, refused: 0, parked: 0 },
      direct: { tried: 0, accepted: 0, refused: 0, parked: 0 },
    };
    /** Accepted cases, with the cursor in their family stream when the door told it. */
    const accepted: Array<{ c: FuzzCase; cursor?: string }> = [];
    /** Where each direct case was stored (`stream#cursor`). */
    const directAt = new Map<string, FuzzCase>();

    const sendHttp = async (c: FuzzCase) => {
      const answer = await fx.post(c.text);
      const body = answer.body as Record<string, unknown>;
      if (answer.status >= 500) return problem(c, `HTTP ${answer.status}`, body);
      if (answer.status === 202) {
        if (!c.valid) problem(c, 'accepted what the contract refuses', body);
        const item = (body['accepted'] as Array<{ cursor: string | null }> | undefined)?.[0];
        accepted.push({ c, ...(item?.cursor ? { cursor: item.cursor } : {}) });
        return;
      }
      tally.http.refused++;
      if (![400, 413].includes(answer.status)) problem(c, `HTTP ${answer.status}`, body);
      if (c.valid) problem(c, `refused (${answer.status}) a valid event`, body);
      const rejected = body['rejected'] as Array<{ errors?: unknown }> | undefined;
      // a body refused before validation names its place in the error details
      const errors = rejected
        ? errorsOf(rejected[0]?.errors)
        : errorsOf((body['error'] as Record<string, unknown> | undefined)?.['details']);
      const bad = pathProblem(errors);
      if (bad) problem(c, bad, body);
    };

    const sendAsync = (c: FuzzCase) => fx.publishIngress(c.subject, c.text, c.tag);

    const sendDirect = async (c: FuzzCase) => {
      const cursor = await fx.publishDirect(c.subject, c.text, c.tag);
      directAt.set(`${CONSUMED[c.family]!.stream}#${cursor}`, c);
      if (c.valid) accepted.push({ c, cursor });
    };

    const byDoor = (door: Door) => cases.filter((c) => c.door === door);
    for (const c of cases) tally[c.door].tried++;
    await Promise.all([
      (async () => {
        for (const c of byDoor('http')) await sendHttp(c);
      })(),
      (async () => {
        for (const c of byDoor('async')) await sendAsync(c);
      })(),
      (async () => {
        for (const c of byDoor('direct')) await sendDirect(c);
      })(),
    ]);
    await fx.settled(40_000);

    // async ingress: the refused are parked by ingest with errors that name paths
    const ingestLetters = new Map<string, DeadLetter>();
    for (const letter of await fx.deadLetters(DURABLES.ingest))
      ingestLetters.set(letter.headers[DEAD_LETTER_MSG_ID] ?? '', letter);
    const asyncTags = new Set<string>();
    for (const c of byDoor('async')) {
      asyncTags.add(c.tag);
      const letter = ingestLetters.get(c.tag);
      if (c.valid) {
        if (letter) problem(c, 'a valid event parked by async ingress', letter.reason);
        else accepted.push({ c });
        continue;
      }
      if (!letter) {
        problem(c, 'an invalid event was not parked by async ingress');
        continue;
      }
      tally.async.refused++;
      tally.async.parked++;
      if (letter.family !== c.family) problem(c, `parked as family ${letter.family}`);
      const bad = pathProblem(reasonErrors(letter.reason));
      if (bad) problem(c, bad, letter.reason);
    }
    for (const tag of ingestLetters.keys())
      if (!asyncTags.has(tag)) problems.push(`ingest parked a message no case sent: ${tag}`);

    // the direct door: each consumer parks exactly the hostile events, as undecodable
    const parked = new Set<FuzzCase>();
    const durables = [...new Set(Object.values(CONSUMED).map((c) => c.durable))];
    for (const durable of durables) {
      for (const letter of await fx.deadLetters(durable)) {
        const c = directAt.get(`${letter.originalStream}#${letter.originalSeq}`);
        if (!c) {
          problems.push(
            `${durable} parked ${letter.originalStream}#${letter.originalSeq}, which no direct case wrote: ${letter.reason.slice(0, 300)}`,
          );
          continue;
        }
        parked.add(c);
        if (c.valid) {
          problem(c, `a valid event parked by ${durable} (${letter.cause})`, letter.reason);
          continue;
        }
        if (letter.cause !== 'decode_failed')
          problem(c, `parked as ${letter.cause}, not decode_failed`, letter.reason);
        const bad = pathProblem(reasonErrors(letter.reason, 'invalid event: '));
        if (bad) problem(c, bad, letter.reason);
      }
    }
    for (const c of byDoor('direct')) {
      if (c.valid) continue;
      tally.direct.refused++;
      if (parked.has(c)) tally.direct.parked++;
      else problem(c, `a hostile event was not parked by ${CONSUMED[c.family]!.durable}`);
    }

    // every accepted event reads back, and no read answers 5xx
    for (const item of accepted) tally[item.c.door].accepted++;
    problems.push(...(await readBack(fx, accepted)));

    const summary = (['http', 'async', 'direct'] as const)
      .map((door) => {
        const t = tally[door];
        return `${door}: ${t.tried} tried, ${t.accepted} accepted, ${t.refused} refused, ${t.parked} parked`;
      })
      .join('; ');
    // parked: dead letters in RUNLOG_DEADLETTER (ingest's for async, the consumers' for direct)
    process.stderr.write(`fuzz seed 0x${SEED.toString(16)}: ${summary}\n`);

    expect(problems).toEqual([]);
    // the cases must exercise both outcomes at every door
    for (const door of ['http', 'async', 'direct'] as const) {
      expect({ door, accepted: tally[door].accepted > 10 }).toEqual({ door, accepted: true });
      expect({ door, refused: tally[door].refused > 10 }).toEqual({ door, refused: true });
    }
  }, 120_000);
});
