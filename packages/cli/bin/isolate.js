#!/usr/bin/env node
'use strict';
// The init is spawned before anything else is loaded, so that its Node start-up overlaps with
// reading and checking the profile (see src/early.ts).
const argv = process.argv.slice(2);
const early = require('../dist/src/early.js').spawnEarlyInit(argv);
require('../dist/src/main.js')
  .main(argv, early)
  .then((code) => {
    process.exitCode = code;
  });
