// `npm run asyncapi`: writes asyncapi.yaml from the contract (libs/contracts asyncApiDocument),
// building first when dist/ is stale. A test fails when the file and the contract differ.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
execFileSync(process.execPath, [join(root, 'scripts/ensure-built.mjs')], { stdio: 'inherit' });
const require = createRequire(import.meta.url);
const { asyncApiDocument } = require(join(root, 'dist/libs/contracts/src'));
const { stringify } = require('yaml');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const header =
  '# runlog AsyncAPI document, generated from libs/contracts by `npm run asyncapi`: do not edit.\n';
writeFileSync(
  join(root, 'asyncapi.yaml'),
  header + stringify(asyncApiDocument(version), { lineWidth: 0, aliasDuplicateObjects: false }),
);
console.log('wrote asyncapi.yaml');
