#!/usr/bin/env node
// The `tunnelscope` command. It runs the TypeScript sources through tsx so that the CLI, the tests
// and the Electron build all use the same engine code without a separate compile step.
'use strict';
const path = require('node:path');
const { register } = require('tsx/cjs/api');
register();
require(path.join(__dirname, 'main.ts'))
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
