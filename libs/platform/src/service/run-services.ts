import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServiceApp } from '../bootstrap/create-service-app';
import { ConfigurationError, loadConfig, type RunlogConfig } from '../config/runlog-config';
import { runAsService } from '../logging/service-context';
import { startSecondListener, type StartedListener } from './second-listener';
import { type ServiceDefinition } from './service-definition';

export interface RunningServices {
  readonly config: RunlogConfig;
  readonly apps: ReadonlyArray<{
    readonly name: string;
    readonly app: NestFastifyApplication;
    readonly url: string;
    /** The URL of its second listener (D42), when it has one. */
    readonly secondUrl?: string;
  }>;
  /** Stops every app: consumers stop pulling and finish, then each bus drains. */
  close(): Promise<void>;
}

/**
 * Boots the given services on their ports, in one process. `config` defaults to the
 * process environment; an invalid variable throws a {@link ConfigurationError}.
 */
export async function startServices(
  definitions: readonly ServiceDefinition[],
  config: RunlogConfig = loadConfig(),
): Promise<RunningServices> {
  const apps: Array<{
    name: string;
    app: NestFastifyApplication;
    url: string;
    secondUrl?: string;
    second?: StartedListener;
  }> = [];
  const close = async (): Promise<void> => {
    for (const { app, second } of apps.splice(0).reverse()) {
      await second?.close();
      await app.close();
    }
  };
  try {
    for (const definition of definitions) {
      // Everything the service starts (consumers, timers, requests) logs under its name.
      await runAsService(definition.name, async () => {
        const app = await createServiceApp(definition.module(config), {
          bodyLimit: definition.bodyLimit?.(config),
          keepPrototypeKeys: definition.keepPrototypeKeys,
          config,
          openapi: {
            ...definition.openapi,
            title: definition.openapi?.title ?? `runlog ${definition.name}`,
          },
        });
        definition.configure?.(app, config);
        const entry: (typeof apps)[number] = { name: definition.name, app, url: '' };
        apps.push(entry);
        await app.listen(definition.port(config), config.httpHost);
        entry.url = await app.getUrl();
        if (definition.secondListener) {
          entry.second = await startSecondListener(definition.secondListener, app, config);
          entry.secondUrl = entry.second?.url;
        }
      });
    }
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  return { config, apps, close };
}

/**
 * The `main` of a runlog process: starts the services, closes them gracefully on
 * SIGTERM/SIGINT (a second signal exits at once), and exits 1 with a message naming the
 * variable when the configuration is invalid.
 */
export async function runServices(
  definitions: readonly ServiceDefinition[],
  hooks: { beforeStart?(): Promise<void>; afterStop?(): Promise<void> } = {},
): Promise<void> {
  let running: RunningServices | undefined;
  try {
    await hooks.beforeStart?.();
    running = await startServices(definitions);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      process.stderr.write(`runlog: ${error.message}\n`);
    } else {
      process.stderr.write(
        `runlog: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    }
    await hooks.afterStop?.().catch(() => undefined);
    process.exit(1);
  }
  for (const { name, url, secondUrl } of running.apps) {
    process.stdout.write(`runlog ${name} listening on ${url}\n`);
    if (secondUrl) process.stdout.write(`runlog ${name} also listening on ${secondUrl}\n`);
  }
  process.stdout.write(`runlog ${describeSetup(running.config)}\n`);
  const warning = authWarning(running.config);
  if (warning) process.stderr.write(`runlog: warning: ${warning}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`runlog: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    void (async () => {
      let code = 0;
      try {
        await running?.close();
      } catch (error) {
        code = 1;
        process.stderr.write(`runlog: error while stopping: ${String(error)}\n`);
      }
      await hooks.afterStop?.().catch(() => undefined);
      process.exit(code);
    })();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** What the start says about access control when it is not the production shape. */
export function authWarning(config: RunlogConfig): string | undefined {
  if (config.auth === 'off')
    return `RUNLOG_AUTH=off: every route answers anyone who can reach ${config.httpHost} without a key`;
  if (config.apiKeys.length === 0)
    return `RUNLOG_API_KEYS is not set: protected mode, every route is open but only on ${config.httpHost}`;
  return undefined;
}

/**
 * The start's one line about where the data goes: NATS (servers and user), the store
 * (PostgreSQL without its password, or PGlite's directory) and the access mode.
 */
export function describeSetup(config: RunlogConfig): string {
  const credentials = config.nats.credentials;
  const user =
    credentials && 'user' in credentials
      ? ` as ${credentials.user}`
      : credentials && 'credsFile' in credentials
        ? ` with ${credentials.credsFile}`
        : credentials
          ? ' with a token'
          : '';
  const store = config.databaseUrl
    ? `PostgreSQL ${withoutPassword(config.databaseUrl)}`
    : `PGlite in ${config.dataDir}`;
  const access =
    config.auth === 'off'
      ? 'auth off'
      : config.apiKeys.length === 0
        ? 'protected mode'
        : `${config.apiKeys.length} API key${config.apiKeys.length === 1 ? '' : 's'}`;
  return `NATS ${config.nats.servers.join(',')}${user} · store ${store} · ${access}`;
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}
