import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { type FastifyInstance } from 'fastify';

/**
 * The pages the console serves, each the single-page app's `index.html` (the app routes on
 * the URL). Only the pages that are built: a page to come is added here with its view.
 */
export const CONSOLE_PAGES = ['/traces', '/traces/:id', '/executions/:id'] as const;

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/**
 * Nothing is loaded from elsewhere: scripts, styles and data come from this origin only
 * (issue 22), and no other site may frame the console.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
}

/** The Vite build held in memory: `index.html` and the hashed files under `assets/`. */
export interface Site {
  readonly index: Buffer;
  readonly assets: ReadonlyMap<string, StaticFile>;
}

/** The build beside the compiled server: `dist/apps/console/web` (vite.config.mts writes it). */
export function defaultWebRoot(): string {
  return resolve(__dirname, '..', '..', 'web');
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Reads the build once at start (a few small files); a missing build stops the start. */
export function loadSite(root: string): Site {
  let index: Buffer;
  try {
    index = readFileSync(join(root, 'index.html'));
  } catch {
    throw new Error(`console: no build at ${root} (npm run build writes it)`);
  }
  const assets = new Map<string, StaticFile>();
  const assetDir = join(root, 'assets');
  for (const path of filesUnder(assetDir)) {
    const type = TYPES[extname(path)];
    if (type === undefined) continue;
    assets.set(relative(assetDir, path).split(sep).join('/'), { body: readFileSync(path), type });
  }
  return { index, assets };
}

/**
 * The pages (public: the shell holds no data, every read behind it needs the key) and the
 * assets, fingerprinted by Vite, so cached for good. `/` opens the trace search.
 */
export function registerSite(fastify: FastifyInstance, site: Site): void {
  const config = { runlogAccess: 'public' as const };
  fastify.route({
    method: 'GET',
    url: '/',
    config,
    handler: (_request, reply) => reply.redirect('/traces', 302),
  });
  for (const page of CONSOLE_PAGES) {
    fastify.route({
      method: 'GET',
      url: page,
      config,
      handler: (_request, reply) =>
        reply
          .headers({ ...SECURITY_HEADERS, 'cache-control': 'no-cache' })
          .type(TYPES['.html']!)
          .send(site.index),
    });
  }
  fastify.route({
    method: 'GET',
    url: '/assets/*',
    config,
    handler: (request, reply) => {
      const file = site.assets.get((request.params as { '*': string })['*']);
      if (!file)
        return reply
          .code(404)
          .send({ error: { code: 'not_found', message: 'no such file', details: [] } });
      return reply
        .headers({ ...SECURITY_HEADERS, 'cache-control': 'public, max-age=31536000, immutable' })
        .type(file.type)
        .send(file.body);
    },
  });
}
