export {
  loadConfig,
  configVariables,
  maxAgeVariable,
  ConfigurationError,
  type RunlogConfig,
  type NatsSettings,
  keyAllows,
  isLoopback,
  MIN_API_KEY_LENGTH,
  ROUTE_SCOPES,
  type ApiKey,
  type Scope,
  type RouteScope,
  type DurabilityMode,
  type ConfigError,
} from './runlog-config';
export { parseDuration } from './duration';
export {
  ModelPrices,
  ModelPricesError,
  loadModelPrices,
  parseModelPrices,
  withoutSnapshotDate,
  type ModelPrice,
} from './model-prices';
export { RunlogConfigModule, RUNLOG_CONFIG } from './runlog-config.module';
