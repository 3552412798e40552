// `npm start` builds first when dist/ is missing or older than any source file.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const marker = join(root, 'dist/apps/standalone/src/main.js');
// The console's browser app, which `vite build` writes after `nest build`.
const webMarker = join(root, 'dist/apps/console/web/index.html');
const SOURCE = /\.(ts|tsx|mts|css|html)$/;

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.spec.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const built =
  existsSync(marker) && existsSync(webMarker)
    ? Math.min(statSync(marker).mtimeMs, statSync(webMarker).mtimeMs)
    : 0;
const sources = Math.max(
  newestSource(join(root, 'apps')),
  newestSource(join(root, 'libs')),
  statSync(join(root, 'package-lock.json')).mtimeMs,
);
if (built < sources) {
  process.stdout.write('runlog: building (npm run build)…\n');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
}
