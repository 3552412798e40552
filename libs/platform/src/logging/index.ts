export { LoggingModule, REDACTED_PATHS } from './logging.module';
export { QuietWiringLogger, WIRING_CONTEXTS } from './quiet-wiring-logger';
export { currentService, runAsService } from './service-context';
