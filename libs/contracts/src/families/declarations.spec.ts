// Each event kind is declared twice: a TypeScript interface (what code reads) and a
// class-validator class (what decode() checks). This spec ties them together at compile
// time (decisions D51): `tsc` fails when a field is added to, removed from, or made
// optional in one but not the other, in either direction, nested objects and arrays
// included. The runtime half checks that the table below names the very classes SCHEMAS
// validates with, so the table cannot drift from what decode() runs.
import { type DataOf } from '../events';
import { FAMILIES, KINDS, type Family, type KindOf } from '../families';
import {
  AgentRefData,
  CanonicalFactData,
  RunFinishData,
  RunStartData,
  ToolCallDoneData,
} from './agent';
import {
  EngineErrorData,
  EngineStartedData,
  EngineStoppingData,
  ModelLoadedData,
  RequestServedData,
  WarmUpCompleteData,
} from './engine';
import {
  CompletedData,
  InstanceTagData,
  LeaseAcquiredData,
  LeaseExpiredData,
  LeaseReclaimedData,
  LeaseRevokedData,
  SignalDeliveredData,
} from './execution';
import { PipelineGapData, PipelineTransitionData } from './pipeline';
import { ProducerGapData } from './producer';
import { schemaOf } from './schemas';
import {
  AnnotationPayloadData,
  GroupEndPayloadData,
  GroupEventData,
  GroupStartPayloadData,
  LlmUsagePayloadData,
  MediaRefPayloadData,
  OpEndPayloadData,
  OpEventData,
  OpStartPayloadData,
  OpYieldPayloadData,
} from './trace';

// --- the type-level comparison ------------------------------------------------------------

/** The declared keys of T, without index signatures (open kinds keep extra fields). */
type KnownKeys<T> = keyof {
  [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K];
};
type OptionalKeys<T> = {
  [K in KnownKeys<T>]-?: object extends Pick<T, K> ? K : never;
}[KnownKeys<T>];
type SameSet<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Element<T> = T extends readonly (infer E)[] ? E : T;
/** Compared field by field when both sides are objects; leaves (strings, numbers, ...) are not. */
type IsRecord<T> = [T] extends [object]
  ? [T] extends [(...args: never[]) => unknown]
    ? false
    : true
  : false;

/** `true` when interface I and class instance C declare the same fields with the same optionality. */
export type Agree<I, C> =
  SameSet<KnownKeys<I>, KnownKeys<C>> extends false
    ? {
        only_in_interface: Exclude<KnownKeys<I>, KnownKeys<C>>;
        only_in_class: Exclude<KnownKeys<C>, KnownKeys<I>>;
      }
    : SameSet<OptionalKeys<I>, OptionalKeys<C>> extends false
      ? {
          optional_only_in_interface: Exclude<OptionalKeys<I>, OptionalKeys<C>>;
          optional_only_in_class: Exclude<OptionalKeys<C>, OptionalKeys<I>>;
        }
      : FieldsAgree<I, C>;
type FieldsAgree<I, C> = {
  [K in KnownKeys<I> & KnownKeys<C>]: NestedAgree<
    Element<NonNullable<I[K & keyof I]>>,
    Element<NonNullable<C[K & keyof C]>>
  >;
}[KnownKeys<I> & KnownKeys<C>] extends infer R
  ? [R] extends [never] | [true]
    ? true
    : Exclude<R, true>
  : never;
/** A nested object of the interface is compared with the class's nested class; an open enum's
 *  `{other}` case and a leaf typed loosely in the class (`string` for a union) are leaves. */
type NestedAgree<I, C> =
  IsRecord<C> extends true ? (IsRecord<I> extends true ? Agree<I, C> : true) : true;

// --- the table: every family and kind, with the classes decode() validates it by -------------

interface Declared {
  readonly cls: new () => object;
  readonly payload?: new () => object;
}
type OpenAgentKind = Exclude<KindOf<'agent'>, 'run_start' | 'run_finish' | 'tool_call_done'>;
const op = <P extends new () => object>(payload: P) => ({ cls: OpEventData, payload }) as const;

const DECLARED = {
  engine: {
    engine_started: { cls: EngineStartedData },
    model_loaded: { cls: ModelLoadedData },
    warm_up_complete: { cls: WarmUpCompleteData },
    request_served: { cls: RequestServedData },
    engine_error: { cls: EngineErrorData },
    engine_stopping: { cls: EngineStoppingData },
  },
  lease_history: {
    acquired: { cls: LeaseAcquiredData },
    renewed: { cls: LeaseAcquiredData },
    expired: { cls: LeaseExpiredData },
    reclaimed: { cls: LeaseReclaimedData },
    revoked: { cls: LeaseRevokedData },
  },
  completion: { completed: { cls: CompletedData } },
  signal_delivery: { delivered: { cls: SignalDeliveredData } },
  instance_tags: { attached: { cls: InstanceTagData }, cleared: { cls: InstanceTagData } },
  trace: {
    op_start: op(OpStartPayloadData),
    op_end: op(OpEndPayloadData),
    op_yield: op(OpYieldPayloadData),
    annotation: op(AnnotationPayloadData),
    group_start: { cls: GroupEventData, payload: GroupStartPayloadData },
    group_end: { cls: GroupEventData, payload: GroupEndPayloadData },
    llm_usage: op(LlmUsagePayloadData),
    media_ref: op(MediaRefPayloadData),
  },
  pipeline: { transition: { cls: PipelineTransitionData }, gap: { cls: PipelineGapData } },
  agent: {
    ...(Object.fromEntries(KINDS.agent.map((kind) => [kind, { cls: AgentRefData }])) as {
      readonly [K in OpenAgentKind]: { readonly cls: typeof AgentRefData };
    }),
    run_start: { cls: RunStartData },
    run_finish: { cls: RunFinishData },
    tool_call_done: { cls: ToolCallDoneData },
  },
  canonical: Object.fromEntries(
    KINDS.canonical.map((kind) => [kind, { cls: CanonicalFactData }]),
  ) as { readonly [K in KindOf<'canonical'>]: { readonly cls: typeof CanonicalFactData } },
  producer: { gap: { cls: ProducerGapData } },
} as const satisfies { readonly [F in Family]: { readonly [K in KindOf<F>]: Declared } };

type Table = typeof DECLARED;
type Entry<F extends Family, K extends KindOf<F>> = Table[F][K & keyof Table[F]];
type InstanceOf<T> = T extends new () => infer C ? C : never;
/** A kind with a payload class: the envelope's data without `payload`, then the payload. */
type KindAgrees<F extends Family, K extends KindOf<F>> =
  Entry<F, K> extends { readonly cls: infer C; readonly payload: infer P }
    ? [
        Agree<Omit<DataOf<F, K>, 'payload'>, Omit<InstanceOf<C>, 'payload'>>,
        Agree<PayloadOf<DataOf<F, K>>, InstanceOf<P>>,
      ]
    : Entry<F, K> extends { readonly cls: infer C }
      ? [Agree<DataOf<F, K>, InstanceOf<C>>, true]
      : never;
type PayloadOf<D> = D extends { readonly payload: infer P } ? P : never;

// The compile-time assertion: a mismatch names the family, kind and fields in tsc's error.
const agreement: { readonly [F in Family]: { readonly [K in KindOf<F>]: [true, true] } } =
  null as unknown as { readonly [F in Family]: { readonly [K in KindOf<F>]: KindAgrees<F, K> } };

// The comparison itself fails on each kind of drift (each line is an expected tsc error).
interface Base {
  readonly a: string;
  readonly b?: number;
}
class BaseClass {
  a!: string;
  b?: number;
}
const drift: true[] = [
  true satisfies Agree<Base, BaseClass>,
  // @ts-expect-error a field only in the interface
  true satisfies Agree<Base & { readonly c: string }, BaseClass>,
  // @ts-expect-error a field only in the class
  true satisfies Agree<Base, BaseClass & { c: string }>,
  // @ts-expect-error optional in the interface, required in the class
  true satisfies Agree<Base, { a: string; b: number }>,
  // @ts-expect-error optional in the class, required in the interface
  true satisfies Agree<Base & { readonly b: number }, BaseClass>,
  // @ts-expect-error a nested field only in the interface
  true satisfies Agree<{ readonly n: Base & { readonly c: string } }, { n: BaseClass }>,
  // @ts-expect-error a field only in the class, nested in an array
  true satisfies Agree<{ readonly n: readonly Base[] }, { n: (BaseClass & { c: string })[] }>,
];

describe('each event kind is declared once in spirit: its interface and its class agree', () => {
  it('checks the agreement of every kind at compile time (tsc fails otherwise)', () => {
    expect(agreement).toBeNull();
    expect(drift).toHaveLength(7);
  });

  it('names, for every family and kind, the classes decode() validates with', () => {
    for (const family of FAMILIES) {
      const table = DECLARED[family] as Readonly<Record<string, Declared>>;
      expect(Object.keys(table).sort()).toEqual([...KINDS[family]].sort());
      for (const kind of KINDS[family]) {
        const schema = schemaOf(family, kind);
        expect({ family, kind, cls: schema.cls, payload: schema.payload?.cls }).toEqual({
          family,
          kind,
          cls: table[kind]?.cls,
          payload: table[kind]?.payload,
        });
      }
    }
  });
});
