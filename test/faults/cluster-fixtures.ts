// A three-node JetStream cluster with runlog's streams at three replicas, and the reads a
// leader-kill test needs: who leads a stream, and when its replicas have caught up.
import { Bus } from '@runlog/bus';
import { type Family, streamName } from '@runlog/contracts';
import { type NatsClusterHandle, startNatsCluster, uniqueName, waitFor } from '@runlog/testing';

export interface ClusterFixture {
  readonly cluster: NatsClusterHandle;
  /** A bus on every node's URL (it fails over), for provisioning and reading back. */
  readonly admin: Bus;
  /** A bus whose seed is one node (it learns the others from the cluster and fails over). */
  connect(seedUrl: string): Promise<Bus>;
  /** The server name that leads the family's stream, once one is elected (and not `not`). */
  leader(family: Family, not?: string): Promise<string>;
  /** The server name that leads a stream (any: RUNLOG_INGEST, a KV bucket's), once elected. */
  streamLeader(stream: string, not?: string): Promise<string>;
  /** The server name that leads a durable consumer, once one is elected. */
  consumerLeader(stream: string, durable: string): Promise<string>;
  /**
   * Moves the leadership of a stream onto `server` (asking its leader to step down until
   * the election lands there). Best done while nobody publishes to it.
   */
  moveStreamLeader(stream: string, server: string): Promise<void>;
  /**
   * Moves the leadership of a durable consumer onto `server` (asking its leader to step
   * down until the election lands there). A pull request waiting at the old leader is lost
   * with the leadership: its consumer asks again only once that request expires.
   */
  moveConsumerLeader(stream: string, durable: string, server: string): Promise<void>;
  /** Resolves once the stream has a leader and every other replica is current. */
  replicasCurrent(family: Family): Promise<void>;
  close(): Promise<void>;
}

/** How long an election, a reconnect and a catch-up may take on a busy machine. */
export const CLUSTER_WAIT_MS = 30_000;

export async function startClusterFixture(families: readonly Family[]): Promise<ClusterFixture> {
  const cluster = await startNatsCluster({ size: 3 });
  const buses: Bus[] = [];
  const connect = async (servers: readonly string[]): Promise<Bus> => {
    const bus = await Bus.connect(
      { servers, name: uniqueName('faults'), streams: { replicas: 3, maxAgeMs: {} } },
      { provision: false },
    );
    buses.push(bus);
    return bus;
  };
  let admin: Bus;
  try {
    admin = await connect(cluster.urls);
    // Every peer has to have joined before a stream can be placed on three of them.
    await waitFor(
      'the cluster to place three-replica streams',
      () => admin.provision(families).then(() => true),
      { timeoutMs: CLUSTER_WAIT_MS, intervalMs: 250 },
    );
  } catch (error) {
    await Promise.all(buses.map((bus) => bus.close().catch(() => undefined)));
    await cluster.stop();
    throw error;
  }

  const info = (family: Family) => admin.manager.streams.info(streamName(family));
  const streamLeader = (stream: string, not?: string): Promise<string> =>
    waitFor(
      `a leader of ${stream}${not ? ` other than ${not}` : ''}`,
      async () => {
        const leader = (await admin.manager.streams.info(stream)).cluster?.leader;
        return leader && leader !== not ? leader : undefined;
      },
      { timeoutMs: CLUSTER_WAIT_MS, intervalMs: 100 },
    );
  const consumerLeader = async (stream: string, durable: string): Promise<string | undefined> =>
    (await admin.manager.consumers.info(stream, durable)).cluster?.leader;
  /** Asks the leader `current()` names to step down (the `stepDown` API) until `server` leads. */
  const moveLeader = (
    what: string,
    current: () => Promise<string | undefined>,
    stepDown: string,
    server: string,
  ): Promise<void> =>
    waitFor(
      `${server} leading ${what}`,
      async () => {
        const leader = await current();
        if (leader === server) return true;
        if (leader === undefined) return undefined; // an election is under way
        await admin.connection.request(stepDown, undefined, { timeout: 5_000 });
        return undefined;
      },
      { timeoutMs: CLUSTER_WAIT_MS, intervalMs: 250 },
    ).then(() => undefined);
  return {
    cluster,
    admin,
    connect: (seedUrl) => connect([seedUrl]),
    leader: (family, not) => streamLeader(streamName(family), not),
    streamLeader,
    consumerLeader: (stream, durable) =>
      waitFor(`a leader of ${durable} on ${stream}`, () => consumerLeader(stream, durable), {
        timeoutMs: CLUSTER_WAIT_MS,
        intervalMs: 100,
      }),
    moveStreamLeader: (stream, server) =>
      moveLeader(
        stream,
        async () => (await admin.manager.streams.info(stream)).cluster?.leader,
        `$JS.API.STREAM.LEADER.STEPDOWN.${stream}`,
        server,
      ),
    moveConsumerLeader: (stream, durable, server) =>
      moveLeader(
        `${durable} on ${stream}`,
        () => consumerLeader(stream, durable),
        `$JS.API.CONSUMER.LEADER.STEPDOWN.${stream}.${durable}`,
        server,
      ),
    replicasCurrent: async (family) => {
      await waitFor(
        `every replica of ${streamName(family)} current`,
        async () => {
          const { cluster: state } = await info(family);
          const replicas = state?.replicas ?? [];
          return state?.leader && replicas.length === 2 && replicas.every((r) => r.current)
            ? true
            : undefined;
        },
        { timeoutMs: CLUSTER_WAIT_MS, intervalMs: 100 },
      );
    },
    close: async () => {
      await Promise.all(buses.map((bus) => bus.close().catch(() => undefined)));
      await cluster.stop();
    },
  };
}
