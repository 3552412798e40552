// Loaded with `node --require` before dist-bench/bench/bench.js: plain tsc keeps the
// tsconfig "paths" aliases (`@runlog/<lib>`) as written, so map each one to the tsc output
// of that lib (dist-bench/libs/<lib>/src) when Node resolves it. Nothing else is touched.
'use strict';
const Module = require('node:module');
const path = require('node:path');

const libs = path.resolve(__dirname, '..', 'dist-bench', 'libs');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  // `@runlog/<lib>` is the lib's index; `@runlog/<lib>/<entry>` a module at its src root.
  const alias = /^@runlog\/([a-z-]+)(?:\/([a-z-]+))?$/.exec(request);
  const target = alias && path.join(libs, alias[1], 'src', alias[2] ?? '');
  return resolve.call(this, target ?? request, ...rest);
};
