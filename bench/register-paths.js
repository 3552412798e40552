// Loaded with `node --require` before dist-bench/bench/bench.js: plain tsc keeps the
// tsconfig "paths" aliases (`@runlog/<lib>`) as written, so map each one to the tsc output
// of that lib (dist-bench/libs/<lib>/src) when Node resolves it. Nothing else is touched.
'use strict';
const Module = require('node:module');
const path = require('node:path');

const libs = path.resolve(__dirname, '..', 'dist-bench', 'libs');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const alias = /^@runlog\/([a-z-]+)$/.exec(request);
  return resolve.call(this, alias ? path.join(libs, alias[1], 'src') : request, ...rest);
};
