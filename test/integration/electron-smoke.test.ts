/**
 * Real-Electron smoke test with Playwright's _electron.launch. It runs wherever an Electron binary
 * exists (ELECTRON_OVERRIDE_DIST_PATH, or node_modules/electron/dist after a normal install) and
 * is reported as skipped, with the reason, where none can be obtained (this build machine).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');

/** Same lookup as node_modules/electron/index.js, without its download-on-demand. */
function findElectron(): { path: string | null; reason: string } {
  const pkg = join(ROOT, 'node_modules/electron');
  const pathFile = join(pkg, 'path.txt');
  const rel = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const candidates = [rel, 'electron', 'Electron.app/Contents/MacOS/Electron', 'electron.exe'].filter(Boolean).map((r) => join(override, r!));
    const hit = candidates.find((c) => existsSync(c));
    return hit ? { path: hit, reason: '' } : { path: null, reason: `ELECTRON_OVERRIDE_DIST_PATH=${override} holds no Electron executable` };
  }
  if (!rel) return { path: null, reason: 'no Electron binary: node_modules/electron was installed without its download (ELECTRON_SKIP_BINARY_DOWNLOAD or no network); set ELECTRON_OVERRIDE_DIST_PATH to run this test' };
  const full = join(pkg, 'dist', rel);
  return existsSync(full) ? { path: full, reason: '' } : { path: null, reason: `the Electron binary ${full} is missing` };
}

const electron = findElectron();
if (!electron.path) console.warn(`[electron-smoke] skipped: ${electron.reason}`);

describe('real Electron', () => {
  it.skipIf(!electron.path)(
    electron.path ? 'launches hardened, opens the demo, answers the contract over IPC and quits cleanly' : `launches the app (skipped: ${electron.reason})`,
    async () => {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], { cwd: ROOT, stdio: 'inherit' });
      const { _electron } = await import('playwright-core');
      const userData = mkdtempSync(join(tmpdir(), 'tscope-electron-'));
      const app = await _electron.launch({
        executablePath: electron.path!,
        args: [ROOT],
        env: { ...process.env, TUNNELSCOPE_USER_DATA: userData, ELECTRON_ENABLE_LOGGING: '1' },
        timeout: 60_000,
      });
      try {
        const page = await app.firstWindow();
        const errors: string[] = [];
        page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
        await page.waitForLoadState('domcontentloaded');
        expect(await page.title()).toMatch(/^Tunnelscope/);

        const prefs = await app.evaluate(({ BrowserWindow }) => {
          const w = BrowserWindow.getAllWindows()[0]!;
          // Not in the public typings, but present in Electron's main process (devtools uses it).
          const p = (w.webContents as unknown as { getLastWebPreferences(): Record<string, unknown> }).getLastWebPreferences();
          return { contextIsolation: p.contextIsolation, sandbox: p.sandbox, nodeIntegration: p.nodeIntegration, webviewTag: p.webviewTag };
        });
        expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false });

        const reach = await page.evaluate(() => {
          const w = window as unknown as Record<string, unknown>;
          return { require: typeof w.require, process: typeof w.process, api: Object.keys((w.api as object) ?? {}).sort() };
        });
        expect(reach).toEqual({ require: 'undefined', process: 'undefined', api: ['invoke', 'on', 'pathForFile'] });

        const info = await page.evaluate(() => (window as unknown as { api: { invoke(c: string, a: unknown): Promise<unknown> } }).api.invoke('app.info', {}));
        expect(info).toMatchObject({ ok: true, value: { mode: 'electron' } });
        const bad = await page.evaluate(() => (window as unknown as { api: { invoke(c: string, a: unknown): Promise<unknown> } }).api.invoke('case.open', { path: 3 }));
        expect(bad).toMatchObject({ ok: false, error: { code: 'bad-argument' } });

        if (existsSync(join(ROOT, 'resources/demo.tscope'))) {
          await expect.poll(async () => page.evaluate(async () => {
            const r = (await (window as unknown as { api: { invoke(c: string, a: unknown): Promise<{ ok: boolean; value: { path: string } | null }> } }).api.invoke('case.current', {}));
            return r.ok && r.value ? r.value.path.endsWith('demo.tscope') : false;
          }), { timeout: 30_000 }).toBe(true);
          await page.locator('[data-testid="app-ready"]').waitFor({ state: 'attached', timeout: 30_000 });
        }

        // Navigation away and new windows are refused.
        const before = page.url();
        await page.evaluate(() => {
          window.location.href = 'https://example.com/';
        }).catch(() => undefined);
        await page.waitForTimeout(500);
        expect(page.url()).toBe(before);
        expect(await page.evaluate(() => window.open('https://example.com/') === null)).toBe(true);
        expect(app.windows()).toHaveLength(1);
        expect(errors).toEqual([]);
      } finally {
        await app.close();
        rmSync(userData, { recursive: true, force: true });
      }
    },
    180_000,
  );
});
