// The fuzzer's cases: for one seed, valid example events, the ingest mutations of
// test/support/event-mutations.ts and the hostile JSON of test/support/hostile-json.ts,
// each as the exact text sent, with the contract's verdict on it (`decode`, the function
// every door validates with).
import {
  dataKey,
  decode,
  decodeStored,
  type Family,
  type RunlogEvent,
  storedSubject,
  subjectAttribute,
} from '@runlog/contracts';
import { uniqueName } from '@runlog/testing';
import { generate, type Rec, type Rng } from '../support/event-mutations';
import { hostileText, mutateHostile } from '../support/hostile-json';

export type Door = 'http' | 'async' | 'direct';

export interface FuzzCase {
  readonly door: Door;
  readonly family: Family;
  readonly kind: string;
  /** Unique per case: the NATS msgID of async and direct publishes, and a key in `data`. */
  readonly tag: string;
  /** What was done to the valid example. */
  readonly mutation: string;
  /** The JSON text sent. */
  readonly text: string;
  /** The event as the contract reads the text; `undefined` when the contract refuses it. */
  readonly valid: RunlogEvent | undefined;
  /**
   * Where the case is published: `ingest.<family>.<tag>` (async) or the stored subject of
   * the example before it was mutated (direct), as a producer bypassing ingest would.
   */
  readonly subject: string;
}

/** Unique keys per case, so no two cases share a trace, an execution or a run. */
function makeUnique(event: Rec, family: Family, tag: string): void {
  const data = event['data'] as Rec;
  if (family === 'trace') {
    data['request_id'] = `req-${tag}`;
    data['event_id'] = `ev-${tag}`;
  } else if (family === 'agent') {
    data['run_id'] = `run-${tag}`;
    data['correlation_id'] = tag; // copied into each canonical event (docs/decisions.md D16)
  } else if ('execution_id' in data) {
    data['execution_id'] = `exec-${tag}`;
  }
  const key = dataKey(family, data);
  if (key !== undefined) event['subject'] = subjectAttribute(key);
}

/** One case for a door and a family: about 3 in 10 valid, 2 in 10 ingest mutations, half hostile. */
export function fuzzCase(rng: Rng, door: Door, family: Family, index: number): FuzzCase {
  for (;;) {
    const tag = uniqueName(`fz${index}`);
    let subject = `ingest.${family}.${tag}`;
    const draw = rng.int(10);
    const generated = generate(rng, index, {
      family,
      validShare: draw < 3 || draw >= 5 ? 1 : 0,
      prepare: (event, f) => {
        makeUnique(event, f, tag);
        if (door === 'direct') subject = storedSubject(f, event['subject'] as string);
      },
    });
    const mutation = draw >= 5 ? mutateHostile(rng, generated.event) : generated.mutation;
    const text = hostileText(generated.event);
    const parsed: unknown = JSON.parse(text);
    const verdict = decode(parsed);
    // A stored event always has `time` and `subject` (ingest fills them): one without them
    // that `decode` would complete is neither valid nor hostile for a consumer. Draw again.
    if (door === 'direct' && verdict.ok && !decodeStored(parsed).ok) continue;
    return {
      door,
      family,
      kind: generated.kind,
      tag,
      mutation,
      text,
      // async ingress and the consumers take only their own family on their subjects
      valid:
        verdict.ok && (door === 'http' || verdict.value.family === family)
          ? verdict.value
          : undefined,
      subject,
    };
  }
}

/** A short description of a case for a failure message. */
export const describeCase = (c: FuzzCase): string =>
  `${c.door} ${c.family}.${c.kind} [${c.tag}]: ${c.mutation}`;
