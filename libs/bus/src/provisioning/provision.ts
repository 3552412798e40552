import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  DeliverPolicy,
  type JetStreamManager,
  type StreamInfo,
} from '@nats-io/jetstream';
import { TimeoutError } from '@nats-io/transport-node';
import { BusError } from '../errors/bus-error';
import { API_CODES, jetStreamApiCode } from '../errors/jetstream-codes';
import { type ProvisionedStream } from './stream-configs';

const apiCode = jetStreamApiCode;
/** 2.10+: "consumer already exists" / "consumer name already in use" (a lost add race). */
const CONSUMER_EXISTS = new Set<number>([
  API_CODES.ConsumerAlreadyExists,
  API_CODES.ConsumerNameExists,
]);

function differs<T extends object>(wanted: T, actual: object): boolean {
  return Object.entries(wanted).some(([key, value]) => {
    const current: unknown = (actual as Record<string, unknown>)[key];
    return JSON.stringify(current) !== JSON.stringify(value);
  });
}

/**
 * Creates the stream, or updates it when its managed settings differ: "info, then add or
 * update", safe to run twice or from several replicas at once (a lost `add` race is
 * answered by an update).
 */
export async function ensureStream(
  jsm: JetStreamManager,
  config: ProvisionedStream,
): Promise<StreamInfo> {
  for (let attempt = 0; attempt < 3; attempt++) {
    let info: StreamInfo | undefined;
    try {
      info = await jsm.streams.info(config.name);
    } catch (error) {
      // A busy server can miss the API timeout (seen at start under load): ask again.
      if (error instanceof TimeoutError && attempt < 2) continue;
      if (apiCode(error) !== API_CODES.StreamNotFound)
        throw provisioningError(`stream ${config.name}`, error);
    }
    try {
      if (!info) return await jsm.streams.add(config);
      if (info.config.retention !== config.retention || info.config.storage !== config.storage) {
        throw new BusError(
          'provisioning_failed',
          `stream ${config.name} exists with retention ${info.config.retention}/${info.config.storage}, ` +
            `runlog needs ${config.retention}/${config.storage}; JetStream cannot change that in place`,
          { stream: config.name },
        );
      }
      const { name, retention: _r, storage: _s, ...updatable } = config;
      void _r;
      void _s;
      if (!differs(updatable, info.config)) return info;
      return await jsm.streams.update(name, updatable);
    } catch (error) {
      if (error instanceof BusError) throw error;
      // Another replica created it between our info and add: read it again and update.
      if (apiCode(error) === API_CODES.StreamNameExists) continue;
      throw provisioningError(`stream ${config.name}`, error);
    }
  }
  throw new BusError(
    'provisioning_failed',
    `stream ${config.name}: lost the create/update race three times`,
    {
      stream: config.name,
    },
  );
}

/** A durable pull consumer with explicit ack, as runlog's consumers bind them. */
export interface DurableConsumerConfig {
  readonly stream: string;
  readonly durable: string;
  /** One subject filter (2.9 has no `filter_subjects`); none for an unfiltered consumer. */
  readonly filterSubject?: string;
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
  readonly maxAckPending: number;
  /**
   * Where a new durable starts: the stream's first sequence when it is created (recorded in
   * its config as `opt_start_seq`, so every instance knows where its history begins).
   * An existing durable keeps its start.
   */
  readonly startSeq?: number;
}

function consumerConfig(config: DurableConsumerConfig): Partial<ConsumerConfig> {
  return {
    durable_name: config.durable,
    ack_policy: AckPolicy.Explicit,
    ...(config.startSeq === undefined
      ? { deliver_policy: DeliverPolicy.All }
      : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: config.startSeq }),
    ack_wait: config.ackWaitMs * 1_000_000,
    max_deliver: config.maxDeliver,
    max_ack_pending: config.maxAckPending,
    ...(config.filterSubject ? { filter_subject: config.filterSubject } : {}),
  };
}

/**
 * Creates or updates a durable consumer: "info, then add or update" (2.9 silently updates
 * on add; 2.10+ rejects a differing add, so an existing durable is always updated).
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  config: DurableConsumerConfig,
): Promise<ConsumerInfo> {
  const wanted = consumerConfig(config);
  for (let attempt = 0; attempt < 3; attempt++) {
    let info: ConsumerInfo | undefined;
    try {
      info = await jsm.consumers.info(config.stream, config.durable);
    } catch (error) {
      if (apiCode(error) !== API_CODES.ConsumerNotFound)
        throw provisioningError(`consumer ${config.durable}`, error);
    }
    try {
      if (!info) return await jsm.consumers.add(config.stream, wanted);
      const {
        durable_name: _d,
        ack_policy: _a,
        deliver_policy: _p,
        opt_start_seq: _s,
        ...updatable
      } = wanted;
      void [_d, _a, _p, _s];
      if (!differs(updatable, info.config)) return info;
      return await jsm.consumers.update(config.stream, config.durable, updatable);
    } catch (error) {
      if (CONSUMER_EXISTS.has(apiCode(error) ?? 0)) continue;
      throw provisioningError(`consumer ${config.durable} on ${config.stream}`, error);
    }
  }
  throw new BusError(
    'provisioning_failed',
    `consumer ${config.durable}: lost the create/update race three times`,
    {
      stream: config.stream,
    },
  );
}

function provisioningError(what: string, error: unknown): BusError {
  const message = error instanceof Error ? error.message : String(error);
  return new BusError(
    'provisioning_failed',
    `could not provision ${what}: ${message}`,
    { apiCode: apiCode(error) },
    { cause: error },
  );
}
