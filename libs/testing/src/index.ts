/**
 * Real servers for tests and benchmarks: NATS with JetStream and a SQL database, from
 * the environment when given, else a container, else a local process or PGlite.
 */
export {
  startNats,
  spawnNatsServer,
  type NatsServerHandle,
  type StartNatsOptions,
} from './nats-server';
export {
  startNatsCluster,
  type ClusterNode,
  type NatsClusterHandle,
  type StartNatsClusterOptions,
} from './nats-cluster';
export { findPostgresBin, startPostgresServer, type PostgresServerHandle } from './postgres-server';
export {
  startDatabase,
  createTestDatabase,
  testStoreKinds,
  type DatabaseServerHandle,
  type TestDatabase,
} from './database';
export { dockerAvailable } from './docker';
export { freePort } from './free-port';
export { uniqueName } from './names';
export { seeded, shuffled } from './seeded';
export { testNatsUrl } from './env';
export { waitFor } from './wait-for';
