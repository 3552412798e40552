// Every route of DESIGN.md §4 is in the OpenAPI document of the service that serves it,
// read from the contract itself (../shared/DESIGN.md), so a route added there and not
// here fails this test. Plus what every service answers.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AllServices, type ServiceName, withAllServices } from './all-services';

const DESIGN = join(__dirname, '..', '..', '..', 'shared', 'DESIGN.md');

/** `service -> ["GET /v1/executions/{}/lease", ...]` from the §4 routes table. */
function designRoutes(): Map<string, string[]> {
  const text = readFileSync(DESIGN, 'utf8');
  const section = text.slice(text.indexOf('## 4. HTTP'), text.indexOf('## 5.'));
  const routes = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const service = cells[1];
    if (!service || !cells[3]?.includes('`')) continue;
    const found = [...cells[3].matchAll(/`(GET|POST|PUT|DELETE) ([^`?]+)/g)].map(
      ([, method, path]) => `${method} ${normalize(path!)}`,
    );
    routes.set(service, found);
  }
  return routes;
}

/** Path parameters named differently in DESIGN.md and code are the same route. */
const normalize = (path: string): string => path.replace(/\{[^}]+\}/g, '{}');

(existsSync(DESIGN) ? describe : describe.skip)(
  'OpenAPI of every service against DESIGN.md §4',
  () => {
    let fx: AllServices;
    withAllServices({}, (started) => (fx = started));

    it('reads a routes table with every service from DESIGN.md', () => {
      const routes = designRoutes();
      expect([...routes.keys()].sort()).toEqual(['ingest', 'lease-history', 'trace-store']);
      expect([...routes.values()].flat().length).toBeGreaterThanOrEqual(11);
    });

    it.each<ServiceName>(['ingest', 'lease-history', 'trace-store', 'normalizer'])(
      '%s documents every DESIGN.md route it serves, and health and metrics',
      async (name) => {
        const url = fx.url(name);
        const doc = (await (await fetch(`${url}/docs-json`)).json()) as {
          paths: Record<string, Record<string, unknown>>;
        };
        const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
          Object.keys(operations).map((method) => `${method.toUpperCase()} ${normalize(path)}`),
        );
        const wanted = [
          ...(designRoutes().get(name) ?? []),
          'GET /health/live',
          'GET /health/ready',
          'GET /metrics',
        ];
        expect(wanted.filter((route) => !documented.includes(route))).toEqual([]);
        expect((await fetch(`${url}/docs`)).status).toBe(200);
      },
    );
  },
);
