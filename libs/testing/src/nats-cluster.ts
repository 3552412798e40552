import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNatsServerBinary, stopProcess } from '../../platform/src/nats-server';
import { freePort } from './free-port';
import { uniqueName } from './names';

/** One server of a {@link NatsClusterHandle}. */
export interface ClusterNode {
  /** The JetStream server name (what stream info's `cluster.leader` answers). */
  readonly name: string;
  /** `nats://127.0.0.1:<client port>` */
  readonly url: string;
  /** The pid of the running process; undefined while it is killed. */
  readonly pid: number | undefined;
}

/** A JetStream cluster of `nats-server` processes on 127.0.0.1, for fault tests. */
export interface NatsClusterHandle {
  /** The cluster name (`--cluster_name`). */
  readonly name: string;
  readonly nodes: readonly ClusterNode[];
  /** Every client URL, for a connection that may fail over. */
  readonly urls: readonly string[];
  /** The node of a JetStream server name; throws on a name not in this cluster. */
  node(name: string): ClusterNode;
  /** `kill -9` the node's process by pid; resolves once it has exited. */
  kill(name: string): Promise<void>;
  /** Starts a killed node again on its ports with its store; resolves once it is ready. */
  start(name: string): Promise<void>;
  /** Kills every node and deletes their stores. Idempotent. */
  stop(): Promise<void>;
}

export interface StartNatsClusterOptions {
  /** Servers in the cluster (default 3). */
  readonly size?: number;
  /** How long each server may take to be ready (default 20 s: the machine may be busy). */
  readonly readyTimeoutMs?: number;
}

interface Node extends ClusterNode {
  pid: number | undefined;
  child: ChildProcess | undefined;
  readonly args: readonly string[];
  /** The tail of its log, for a failure message. */
  log: string;
}

/**
 * Spawns a JetStream cluster: `size` nats-server processes on free loopback ports, each
 * with its own temporary store, routes to the others and a cluster name of its own.
 * Resolves once every server is ready and has seen a JetStream metadata leader (streams
 * can then be created with `num_replicas` up to `size`).
 */
export async function startNatsCluster(
  options: StartNatsClusterOptions = {},
): Promise<NatsClusterHandle> {
  const { size = 3, readyTimeoutMs = 20_000 } = options;
  const binary = findNatsServerBinary();
  if (!binary) throw new Error('no nats-server binary (apt-get install -y nats-server)');
  const clusterName = uniqueName('c');
  const root = mkdtempSync(join(tmpdir(), 'runlog-nats-cluster-'));
  const ports = await Promise.all(
    Array.from({ length: size }, async () => ({
      client: await freePort(),
      route: await freePort(),
    })),
  );
  const nodes: Node[] = ports.map(({ client, route }, i) => {
    const name = `${clusterName}-n${i + 1}`;
    const storeDir = join(root, name);
    mkdirSync(storeDir);
    const routes = ports
      .filter((_, j) => j !== i)
      .map((other) => `nats://127.0.0.1:${other.route}`)
      .join(',');
    return {
      name,
      url: `nats://127.0.0.1:${client}`,
      pid: undefined,
      child: undefined,
      log: '',
      args: [
        ['-a', '127.0.0.1', '-p', String(client)],
        ['-n', name, '-js', '-sd', storeDir],
        ['--cluster_name', clusterName, '--cluster', `nats://127.0.0.1:${route}`],
        ['--routes', routes],
      ].flat(),
    };
  });

  const launch = (node: Node, until: RegExp): Promise<void> => {
    const child = spawn(binary, [...node.args], { stdio: ['ignore', 'ignore', 'pipe'] });
    node.child = child;
    node.pid = child.pid;
    node.log = '';
    killOnExit.add(child);
    child.once('exit', () => {
      killOnExit.delete(child);
      if (node.child === child) {
        node.child = undefined;
        node.pid = undefined;
      }
    });
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${node.name} not ready after ${readyTimeoutMs} ms:\n${node.log}`));
      }, readyTimeoutMs);
      const onExit = (code: number | null): void => {
        clearTimeout(timer);
        reject(new Error(`${node.name} exited with ${code} before it was ready:\n${node.log}`));
      };
      let ready = false;
      child.stderr?.on('data', (chunk: Buffer) => {
        // Keep reading (so the child never blocks on a full pipe), and a tail for failures.
        node.log = (node.log + chunk.toString()).slice(-20_000);
        if (!ready && until.test(node.log)) {
          ready = true;
          clearTimeout(timer);
          child.off('exit', onExit);
          resolve();
        }
      });
      child.once('exit', onExit);
    });
  };

  const stop = async (): Promise<void> => {
    await Promise.all(nodes.flatMap((node) => (node.child ? [stopProcess(node.child)] : [])));
    rmSync(root, { recursive: true, force: true });
  };

  try {
    // Routes form as the servers come up; each logs the metadata leader once one is elected.
    await Promise.all(
      nodes.map((node) =>
        launch(node, /Self is new JetStream cluster metadata leader|new metadata leader/),
      ),
    );
  } catch (error) {
    await stop();
    throw error;
  }

  let stopped = false;
  const find = (name: string): Node => {
    const node = nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no server ${name} in cluster ${clusterName}`);
    return node;
  };
  return {
    name: clusterName,
    nodes,
    urls: nodes.map((node) => node.url),
    node: find,
    kill: async (name) => {
      const node = find(name);
      if (node.child) await stopProcess(node.child, 'SIGKILL');
    },
    start: async (name) => {
      const node = find(name);
      if (node.child) throw new Error(`${name} is running`);
      await launch(node, /Server is ready/);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stop();
    },
  };
}

/** Children still alive when this process exits are killed, so no test leaves a server behind. */
const killOnExit = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of killOnExit) child.kill('SIGKILL');
});
