/**
 * Replay frame rate in Chromium (issue 5): `tunnelscope serve <case>`, the workbench in Debian's
 * Chromium, replay playing for 5 s at 60×; counts requestAnimationFrame callbacks, long frames and
 * the snapshots the engine answered meanwhile.
 *
 *   npx tsx test/bench/ui-replay.ts [case.tscope]     (default: the demo case, resources/demo.tscope)
 *
 * Needs the renderer build (`npm run build`, out/renderer) and /usr/bin/chromium.
 */
import { chromium } from 'playwright-core';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServe } from '../e2e/helpers/serve.ts';
import { CHROMIUM_ARGS } from '../../playwright.config.ts';

const PLAY_MS = 5000;
/** A frame slower than this (two 60 Hz intervals) counts as dropped. */
const LONG_FRAME_MS = 1000 / 30;

async function main(): Promise<void> {
  let casePath = resolve(process.argv[2] ?? 'resources/demo.tscope');
  if (!existsSync(casePath)) throw new Error(`${casePath} does not exist (npm run demo:build, or npm run bench:ui to build the bench cases)`);
  // The bundled demo is served from a copy: the workbench saves its view into the file it opened.
  const tmp = mkdtempSync(join(tmpdir(), 'tscope-replay-'));
  if (!process.argv[2]) {
    copyFileSync(casePath, join(tmp, 'demo.tscope'));
    casePath = join(tmp, 'demo.tscope');
  }
  const t0 = performance.now();
  const served = await startServe([casePath], {}, 600_000);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const snapshots: number[] = [];
    const started = new Map<string, number>();
    page.on('request', (r) => {
      if (r.url().includes('/api/timeline.snapshot')) started.set(r.url() + r.postData(), performance.now());
    });
    page.on('requestfinished', (r) => {
      const k = r.url() + r.postData();
      const s = started.get(k);
      if (s !== undefined && r.url().includes('/api/timeline.snapshot')) snapshots.push(performance.now() - s);
    });
    await page.goto(served.url);
    await page.getByTestId('app-ready').waitFor({ state: 'attached', timeout: 600_000 });
    await page.getByTestId('replay-step').waitFor({ timeout: 600_000 });
    console.log(`served ${casePath}; workbench ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await page.getByTestId('replay-step').click(); // playhead at the start of the data
    await page.getByTestId('replay-speed').selectOption('60');
    await page.waitForTimeout(500);
    snapshots.length = 0;
    await page.getByTestId('replay-play').click();
    await page.locator('[data-testid="replay"][data-playing="true"]').waitFor();
    // Passed as text: tsx would wrap a function argument in helpers the page does not have.
    const frames = (await page.evaluate(`new Promise((done) => {
      const t = [];
      const at = [];
      const el = document.querySelector('[data-testid="replay"]');
      const start = performance.now();
      const tick = (now) => {
        t.push(now);
        at.push(el ? el.getAttribute('data-at') : '');
        if (now - start < ${PLAY_MS}) requestAnimationFrame(tick);
        else done({ t, at });
      };
      requestAnimationFrame(tick);
    })`)) as { t: number[]; at: string[] };
    const playing = await page.getByTestId('replay').getAttribute('data-playing');
    const clockFps = await page.getByTestId('replay').getAttribute('data-fps');
    await page.getByTestId('replay-play').click();
    const gaps = frames.t.slice(1).map((v, i) => v - frames.t[i]!);
    const seconds = (frames.t[frames.t.length - 1]! - frames.t[0]!) / 1000;
    const fps = (frames.t.length - 1) / seconds;
    const long = gaps.filter((g) => g > LONG_FRAME_MS).length;
    const moved = frames.at.filter((v, i) => i > 0 && v !== frames.at[i - 1]).length;
    const sorted = [...snapshots].sort((a, b) => a - b);
    const p95 = sorted.length ? sorted[Math.ceil(0.95 * sorted.length) - 1]! : NaN;
    const load = (await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`replay 60× for ${seconds.toFixed(1)} s (load average ${load}): ${frames.t.length - 1} animation frames = ${fps.toFixed(1)} fps (replay clock says ${clockFps}), ` +
      `playhead moved on ${moved} frames, ${long} frames longer than ${LONG_FRAME_MS.toFixed(0)} ms, longest ${Math.max(...gaps).toFixed(0)} ms; ` +
      `${snapshots.length} snapshots answered, p95 ${p95.toFixed(0)} ms; still playing at the end: ${playing}`);
    const ok = fps >= 10 && Math.max(...gaps) <= 100;
    console.log(`${ok ? 'PASS' : 'FAIL'}: ≥ 10 fps with no frame gap above 100 ms (one 10 fps frame)`);
    if (!ok) process.exitCode = 1;
  } finally {
    await browser.close();
    await served.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
