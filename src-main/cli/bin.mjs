#!/usr/bin/env node
// The `tunnelscope` command. It runs the TypeScript sources through tsx (the same hooks as
// `node --import tsx`) so that the CLI, the tests and the Electron build all use the same engine
// code without a separate compile step.
import 'tsx';

const mod = await import('./main.ts');
const main = mod.main ?? mod.default?.main;
process.exitCode = await main(process.argv.slice(2));
