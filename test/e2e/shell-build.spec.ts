/**
 * Checks on the built Electron bundles (npm test builds before Playwright runs). A sandboxed
 * preload can require only 'electron'; main must not bundle DuckDB's native binding.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { ROOT } from './helpers/serve.ts';

const requires = (code: string) => [...code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);

test('the preload bundle requires nothing but electron and exposes only the bridge', () => {
  const file = join(ROOT, 'out/preload/index.js');
  expect(existsSync(file), 'run npm run build first').toBe(true);
  const code = readFileSync(file, 'utf8');
  expect([...new Set(requires(code))]).toEqual(['electron']);
  expect(code).not.toMatch(/\bimport\s*\(/);
  expect(code).not.toMatch(/\bz\.(object|string)\(/);
  expect(code.match(/exposeInMainWorld\(/g)).toHaveLength(1);
});

test('the main bundle loads DuckDB from node_modules and the renderer page keeps its CSP meta tag', () => {
  const main = readFileSync(join(ROOT, 'out/main/index.js'), 'utf8');
  expect(requires(main)).toContain('electron');
  expect(main).not.toContain('duckdb.node');
  const html = readFileSync(join(ROOT, 'out/renderer/index.html'), 'utf8');
  expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="[^"]*script-src 'self'/);
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
});
