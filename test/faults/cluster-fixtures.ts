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
  /**
   * Moves the leadership of a durable consumer onto `server` (asking its leader to step
   * down until the election lands there). Nobody may be pulling from it: a pull request
   * waiting at the old leader is lost with the leadership.
   */
  moveConsumerLeader(family: Family, durable: string, server: string): Promise<void>;
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
  return {
    cluster,
    admin,
    connect: (seedUrl) => connect([seedUrl]),
    leader: (family, not) =>
      waitFor(
        `a leader of ${streamName(family)}${not ? ` other than ${not}` : ''}`,
        async () => {
          const leader = (await info(family)).cluster?.leader;
          return leader && leader !== not ? leader : undefined;
        },
        { timeoutMs: CLUSTER_WAIT_MS, intervalMs: 100 },
      ),
    moveConsumerLeader: async (family, durable, server) => {
      const stream = streamName(family);
      const consumerLeader = async (): Promise<string | undefined> =>
        (await admin.manager.consumers.info(stream, durable)).cluster?.leader;
      await waitFor(
        `${server} leading ${durable} on ${stream}`,
        async () => {
          const current = await consumerLeader();
          if (current === server) return true;
          if (current === undefined) return undefined; // an election is under way
          await admin.connection.request(
            `$JS.API.CONSUMER.LEADER.STEPDOWN.${stream}.${durable}`,
            undefined,
            { timeout: 5_000 },
          );
          return undefined;
        },
        { timeoutMs: CLUSTER_WAIT_MS, intervalMs: 250 },
      );
    },
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
