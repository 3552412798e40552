export { createServiceApp, type ServiceAppOptions } from './create-service-app';
