// `npm run bench*` builds first: dist/ (as `npm start` does, for the console's browser app),
// then the bench's own tsc output in dist-bench/, beside which the standalone entry's
// console finds its web build (a copy of dist/apps/console/web).
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const run = (file, args) => execFileSync(file, args, { cwd: root, stdio: 'inherit' });

run(process.execPath, [join(root, 'scripts/ensure-built.mjs')]);
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.bench.json']);
const web = join(root, 'dist-bench/apps/console/web');
rmSync(web, { recursive: true, force: true });
cpSync(join(root, 'dist/apps/console/web'), web, { recursive: true });
