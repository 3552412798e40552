import { type ServiceDefinition } from '@runlog/platform';
import { ConsoleModule } from './console.module';
import { registerServiceProxies } from './proxy/service-proxy';
import { defaultWebRoot, loadSite, registerSite } from './site/static-site';

/**
 * The web console (issue 22): the Vite build of `apps/console/web` served as static files,
 * and `/api/<service>/v1/...` forwarded to the services (docs/decisions.md D37).
 * `webRoot` is the build's directory (tests point it at `dist/apps/console/web`).
 */
export function consoleService(webRoot: string = defaultWebRoot()): ServiceDefinition {
  return {
    name: 'console',
    module: (config) => ConsoleModule.forRoot(config),
    port: (config) => config.ports.console,
    configure: (app, config) => {
      const fastify = app.getHttpAdapter().getInstance();
      registerSite(fastify, loadSite(webRoot));
      registerServiceProxies(fastify, config);
    },
  };
}
