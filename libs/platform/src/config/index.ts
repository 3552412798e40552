export {
  loadConfig,
  configVariables,
  maxAgeVariable,
  ConfigurationError,
  type RunlogConfig,
  type NatsSettings,
  type ApiKey,
  type DurabilityMode,
  type ConfigError,
} from './runlog-config';
export { parseDuration } from './duration';
export { RunlogConfigModule, RUNLOG_CONFIG } from './runlog-config.module';
