/**
 * Starts one `tunnelscope serve` for the whole e2e run. It serves resources/demo.tscope when the
 * demo is built (npm run demo:build); otherwise a tiny case is built from test/fixtures/shell with
 * the real ingest service and served as the demo, so the "demo opens" path is always exercised.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startServe } from './serve.ts';

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(join(ROOT, 'out/renderer/index.html'))) {
    throw new Error('The renderer is not built: run npm run build before playwright test (npm test does).');
  }
  let demo = join(ROOT, 'resources/demo.tscope');
  if (!existsSync(demo)) {
    const dir = join(ROOT, 'test-results/e2e-case');
    mkdirSync(dir, { recursive: true });
    demo = join(dir, 'e2e-demo.tscope');
    rmSync(demo, { force: true });
    execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test/e2e/helpers/build-case.ts'), demo], { cwd: ROOT, stdio: 'inherit' });
  }
  const served = await startServe([], { TUNNELSCOPE_DEMO: demo });
  process.env.TUNNELSCOPE_URL = served.url;
  process.env.TUNNELSCOPE_ORIGIN = served.origin;
  process.env.TUNNELSCOPE_TOKEN = served.token;
  process.env.TUNNELSCOPE_DEMO_PATH = demo;
  return async () => {
    await served.stop();
  };
}
