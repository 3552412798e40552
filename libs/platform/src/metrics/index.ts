export { MetricsModule, MetricsController, METRICS_REGISTRY } from './metrics.module';
export { backlogGauge, type Backlog, type BacklogSource } from './backlog-gauge';
