export { createServiceApp, type ServiceAppOptions } from './create-service-app';
export { ERROR_BODY_SCHEMA, serveOpenApi, OPENAPI_PATHS, type OpenApiOptions } from './openapi';
