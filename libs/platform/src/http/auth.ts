import { createHash, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage } from 'node:http';
import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  type ApiKey,
  keyAllows,
  type RouteScope,
  type RunlogConfig,
} from '../config/runlog-config';
import { API_KEY_SCHEME, ERROR_BODY_SCHEMA } from '../bootstrap/openapi';
import { errorBody } from './api-error';

/**
 * What a route needs (DESIGN.md §4): a route scope; `write`, any key that may write some
 * family (which families, the route checks per event); `any`, any valid key; or `public`
 * (the health probes only).
 */
export type RouteAccess = RouteScope | 'write' | 'any' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set by {@link RequireScope}; checked by {@link installAuth} before the body is read. */
    runlogAccess?: RouteAccess;
    /** The key may also come as `?access_token=` (SSE: `EventSource` cannot set headers). */
    runlogQueryToken?: boolean;
  }
}

/**
 * Declares what a route needs. Every route declares it: a route without it stops the
 * start (see {@link installAuth}), so none ships open by mistake.
 */
export function RequireScope(
  access: RouteAccess,
  options: { readonly queryToken?: boolean } = {},
): MethodDecorator {
  const config = RouteConfig({ runlogAccess: access, runlogQueryToken: options.queryToken });
  if (access === 'public') return config;
  const needs = access === 'write' ? 'a key that may write the families sent' : `scope ${access}`;
  return applyDecorators(
    config,
    ApiBearerAuth(API_KEY_SCHEME),
    ApiUnauthorizedResponse({
      description: 'RUNLOG_API_KEYS is set and the key is missing or unknown',
      schema: ERROR_BODY_SCHEMA,
    }),
    ApiForbiddenResponse({ description: `The key lacks ${needs}`, schema: ERROR_BODY_SCHEMA }),
  );
}

/** Who is calling: anyone when no keys are configured, else the key that was given. */
export type Caller = { readonly open: true } | { readonly open: false; readonly key: ApiKey };

const OPEN: Caller = { open: true };
const callers = new WeakMap<IncomingMessage, Caller>();

/**
 * The caller of a request that passed {@link installAuth}. Takes Fastify's request (or
 * what Nest's `@Req()` hands over); a request that never passed the check has no caller,
 * which is a bug, so it throws.
 */
export function callerOf(request: { readonly raw: IncomingMessage }): Caller {
  const caller = callers.get(request.raw);
  if (!caller) throw new Error('callerOf: the request did not pass the auth check');
  return caller;
}

/**
 * The caller of a request on any route, public ones included: `undefined` when keys are
 * set and the request gave no valid key (a public route lets it through anyway).
 */
export function identifiedCallerOf(request: { readonly raw: IncomingMessage }): Caller | undefined {
  return callers.get(request.raw);
}

/** True when the caller may see a scope's data (always, with no keys configured). */
export function callerAllows(caller: Caller, scope: RouteScope): boolean {
  return caller.open || keyAllows(caller.key, scope);
}

/** The name limits and logs use for a caller; never the key itself. */
export function callerName(caller: Caller): string {
  return caller.open ? 'anonymous' : caller.key.name;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * The key among `keys` equal to `given`, compared in constant time: digests of equal
 * length, every key looked at whatever matches.
 */
function findKey(keys: readonly ApiKey[], given: string): ApiKey | undefined {
  const wanted = digest(given);
  let found: ApiKey | undefined;
  for (const key of keys) {
    if (timingSafeEqual(wanted, digest(key.key)) && found === undefined) found = key;
  }
  return found;
}

function bearer(request: FastifyRequest, queryToken: boolean): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? '';
  if (!queryToken) return undefined;
  const query = request.query as Record<string, unknown> | undefined;
  const token = query?.['access_token'];
  return typeof token === 'string' ? token : undefined;
}

function allows(key: ApiKey, access: RouteAccess): boolean {
  if (access === 'any' || access === 'public') return true;
  if (access === 'write')
    return key.scopes.some((s) => s !== 'read' && s !== 'admin' && s !== 'metrics');
  return keyAllows(key, access);
}

function refuse(reply: FastifyReply, status: 401 | 403, message: string): FastifyReply {
  if (status === 401) void reply.header('www-authenticate', 'Bearer realm="runlog"');
  return reply.code(status).send(errorBody(status === 401 ? 'unauthorized' : 'forbidden', message));
}

/**
 * Access control for one service (DESIGN.md §4), as Fastify hooks, so it runs before the
 * body is read or parsed:
 * - every route must declare its access with {@link RequireScope}; the docs' own routes
 *   get `read`; anything else undeclared stops the start;
 * - with `RUNLOG_API_KEYS` set, `Authorization: Bearer <key>` (or `?access_token=` on a
 *   route that allows it) must name a key: none or unknown is 401, a key without the
 *   route's scope is 403. An unknown path needs a valid key before it is a 404, so a
 *   stranger learns nothing of the routes.
 *
 * Call before any route is registered.
 */
export function installAuth(fastify: FastifyInstance, config: Pick<RunlogConfig, 'apiKeys'>): void {
  fastify.addHook('onRoute', (route) => {
    const declared = route.config?.runlogAccess;
    if (declared !== undefined) return;
    if (route.url === '/docs' || route.url.startsWith('/docs/') || route.url.startsWith('/docs-')) {
      route.config = { ...route.config, runlogAccess: 'read' };
      return;
    }
    throw new Error(
      `${String(route.method)} ${route.url} declares no access: mark it @RequireScope(...)`,
    );
  });

  const keys = config.apiKeys;
  fastify.addHook('onRequest', async (request, reply) => {
    const routeConfig = request.routeOptions.config;
    // No route matched (a 404 to come): any valid key.
    const access: RouteAccess = routeConfig?.runlogAccess ?? 'any';
    if (keys.length === 0) {
      callers.set(request.raw, OPEN);
      return;
    }
    const token = bearer(request, routeConfig?.runlogQueryToken === true);
    if (access === 'public') {
      // Open to all; a valid key only makes the caller known (health details).
      const known = token ? findKey(keys, token) : undefined;
      if (known) callers.set(request.raw, { open: false, key: known });
      return;
    }
    if (token === undefined)
      return refuse(reply, 401, 'an API key is required: Authorization: Bearer <key>');
    const key = token === '' ? undefined : findKey(keys, token);
    if (!key) return refuse(reply, 401, 'the API key is not valid');
    if (!allows(key, access)) {
      const needs = access === 'write' ? 'write scope for a family' : `the ${access} scope`;
      return refuse(reply, 403, `the API key lacks ${needs}`);
    }
    callers.set(request.raw, { open: false, key });
  });
}

/** `access_token=…` replaced in a URL, so a logged URL never holds a key. */
export function redactAccessToken(url: string): string {
  return url.replace(/([?&]access_token=)[^&#]*/gi, '$1[redacted]');
}
