export { createServiceApp, type ServiceAppOptions } from './create-service-app';
export { serveOpenApi, OPENAPI_PATHS, type OpenApiOptions } from './openapi';
