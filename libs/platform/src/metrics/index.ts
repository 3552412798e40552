export { MetricsModule, MetricsController, METRICS_REGISTRY } from './metrics.module';
