export { type ServiceDefinition } from './service-definition';
export { startServices, runServices, type RunningServices } from './run-services';
export { serviceImports, type ServiceImportsOptions } from './service-imports';
