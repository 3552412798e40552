// `node scripts/profile-top.mjs <file.cpuprofile> [N]`: the N functions with the most self
// time in a V8 CPU profile (`node --cpu-prof`, or `BENCH_CPU_PROF=<dir> npm run bench`), and
// the share of each package, for the Performance section of README.md.
import { readFileSync } from 'node:fs';

const [file, count = '25'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node scripts/profile-top.mjs <file.cpuprofile> [N]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  self.set(id, (self.get(id) ?? 0) + dt);
});
const where = (frame) => {
  const url = frame.url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.includes('/dist-bench/') || url.includes('/dist/')) return 'runlog';
  return url === '' ? '(native)' : url.startsWith('node:') ? 'node' : url;
};
const functions = new Map();
const packages = new Map();
for (const [id, time] of self) {
  const frame = byId.get(id).callFrame;
  const name = `${frame.functionName || '(anonymous)'} ${where(frame)}:${frame.lineNumber + 1}`;
  functions.set(name, (functions.get(name) ?? 0) + time);
  packages.set(where(frame), (packages.get(where(frame)) ?? 0) + time);
}
const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)} %`;
const top = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
process.stdout.write(`${(total / 1e6).toFixed(1)} s sampled\n\nself time by function:\n`);
for (const [name, time] of top(functions, Number(count)))
  process.stdout.write(`${pct(time)}  ${name}\n`);
process.stdout.write('\nself time by package:\n');
for (const [name, time] of top(packages, 15)) process.stdout.write(`${pct(time)}  ${name}\n`);
