export { HealthModule } from './health.module';
export { READINESS_CHECKS, type ReadinessCheck } from './readiness';
