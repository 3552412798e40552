// `node scripts/profile-top.mjs <file.cpuprofile> [N] [--load]`: the N functions with the
// most self time in a V8 CPU profile (`node --cpu-prof`, or `BENCH_CPU_PROF=<dir> npm run
// bench`), and the share of each package, for the Performance section of README.md.
// `--load` counts only the longest stretch in which the process was busy at least half of
// each 100 ms (the measured load, without start-up and idle time).
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const load = args.includes('--load');
const [file, count = '25'] = args.filter((arg) => arg !== '--load');
if (!file) {
  process.stderr.write('usage: node scripts/profile-top.mjs <file.cpuprofile> [N] [--load]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const idle = new Set(
  profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id),
);
// Each sample's time since the profile started, and the stretch to count.
const times = [];
let clock = 0;
for (const dt of profile.timeDeltas) times.push((clock += dt));
const [from, to] = load ? busiestStretch(100_000) : [-Infinity, Infinity];
const self = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  if (times[i] < from || times[i] >= to) return;
  total += dt;
  self.set(id, (self.get(id) ?? 0) + dt);
});
if (load)
  process.stdout.write(`load window: ${(from / 1e6).toFixed(1)} s to ${(to / 1e6).toFixed(1)} s\n`);

/** The longest run of `bucket`-µs buckets that are each at least half busy. */
function busiestStretch(bucket) {
  const busy = [];
  const all = [];
  profile.samples.forEach((id, i) => {
    const at = Math.floor(times[i] / bucket);
    all[at] = (all[at] ?? 0) + profile.timeDeltas[i];
    if (!idle.has(id)) busy[at] = (busy[at] ?? 0) + profile.timeDeltas[i];
  });
  let best = [0, 0];
  let start = 0;
  for (let at = 0; at <= all.length; at++) {
    if (at < all.length && (busy[at] ?? 0) >= (all[at] ?? 0) / 2 && all[at] > 0) continue;
    if (at - start > best[1] - best[0]) best = [start, at];
    start = at + 1;
  }
  return [best[0] * bucket, best[1] * bucket];
}
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
