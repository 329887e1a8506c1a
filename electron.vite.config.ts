import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// electron-vite only finds src/main, src/preload and src/renderer by itself; our
// fixed top level uses src-main/ and src-renderer/, so every entry is named here.
export default defineConfig({
  main: {
    build: {
      rolldownOptions: {
        input: { index: resolve(__dirname, 'src-main/index.ts') },
        external: ['electron', '@duckdb/node-api', '@aws-sdk/client-s3'],
      },
    },
  },
  preload: {
    build: {
      rolldownOptions: { input: { index: resolve(__dirname, 'src-main/preload.ts') } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    base: './',
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rolldownOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } },
    },
    plugins: [svelte({ configFile: resolve(__dirname, 'svelte.config.mjs') })],
  },
});
