/**
 * The Electron composition root (src-main/index.ts + app/*) run under Node with a stand-in for the
 * 'electron' module, since no Electron binary exists here (the real-Electron smoke test covers the
 * rest where one does). Checks what main wires up: hardened window options, a handler for every
 * channel with the sender check, CSP header, request/navigation/popup/webview refusal, the menu,
 * first-run demo, .tscope from the OS and a second instance, and the quit path.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { channels } from '../../src-main/shared/contract.ts';
import { Workspace } from '../../src-main/engine/workspace.ts';
import { writeFlowLog } from '../e2e/helpers/flows.ts';

type Listener = (...args: any[]) => unknown;

const fake = vi.hoisted(() => {
  class Emitter {
    listeners = new Map<string, Listener[]>();
    on(event: string, fn: Listener) {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn]);
      return this;
    }
    once(event: string, fn: Listener) {
      return this.on(event, fn);
    }
    emit(event: string, ...args: unknown[]) {
      for (const fn of this.listeners.get(event) ?? []) fn(...args);
    }
  }
  let resolveReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (resolveReady = r));
  const state = {
    appPath: '',
    userData: '',
    handlers: new Map<string, Listener>(),
    windows: [] as any[],
    menu: null as any,
    headers: null as Listener | null,
    beforeRequest: null as Listener | null,
    quitCalls: 0,
    exitCalls: 0,
    sent: [] as unknown[][],
    recent: [] as string[],
    resolveReady: () => resolveReady(),
  };
  class WebContents extends Emitter {
    openHandler: Listener | null = null;
    send(...args: unknown[]) {
      state.sent.push(args);
    }
    setWindowOpenHandler(fn: Listener) {
      this.openHandler = fn;
    }
  }
  const app = Object.assign(new Emitter(), {
    isPackaged: false,
    requestSingleInstanceLock: () => true,
    whenReady: () => ready,
    getAppPath: () => state.appPath,
    getPath: () => state.userData,
    setPath: (_k: string, v: string) => (state.userData = v),
    getVersion: () => '0.1.0',
    quit() {
      state.quitCalls++;
      let prevented = false;
      app.emit('before-quit', { preventDefault: () => (prevented = true) });
      return prevented;
    },
    exit: () => state.exitCalls++,
    addRecentDocument: (p: string) => state.recent.push(p),
    clearRecentDocuments: () => (state.recent.length = 0),
  });
  class BrowserWindow extends Emitter {
    static getAllWindows = () => state.windows;
    webContents = new WebContents();
    title = '';
    loaded: string | null = null;
    constructor(readonly options: any) {
      super();
      state.windows.push(this);
      app.emit('web-contents-created', {}, this.webContents);
    }
    loadFile(f: string) {
      this.loaded = f;
      return Promise.resolve();
    }
    loadURL(u: string) {
      this.loaded = u;
      return Promise.resolve();
    }
    setTitle(t: string) {
      this.title = t;
    }
    isDestroyed = () => false;
    isMinimized = () => false;
    focus() {}
    restore() {}
    show() {}
  }
  const electron = {
    app,
    BrowserWindow,
    ipcMain: { handle: (c: string, fn: Listener) => state.handlers.set(c, fn) },
    Menu: { buildFromTemplate: (template: unknown) => ({ template }), setApplicationMenu: (m: unknown) => (state.menu = m) },
    session: {
      defaultSession: {
        setPermissionRequestHandler() {},
        setPermissionCheckHandler() {},
        setDevicePermissionHandler() {},
        webRequest: { onHeadersReceived: (fn: Listener) => (state.headers = fn), onBeforeRequest: (fn: Listener) => (state.beforeRequest = fn) },
      },
    },
    dialog: {
      showMessageBox: async () => ({ response: 0 }),
      showOpenDialog: async (_w: unknown, o: { properties: string[] }) => ({ canceled: false, filePaths: o.properties.includes('openDirectory') ? ['/logs'] : ['/logs/a.log'] }),
      showSaveDialog: async () => ({ canceled: true }),
      showErrorBox() {},
    },
  };
  return { state, electron };
});

vi.mock('electron', () => ({ ...fake.electron, default: fake.electron }));

const { state } = fake;
let dir: string;
let other: string;
let indexUrl: string;

async function until(cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

function invoke(channel: string, args: unknown, url = indexUrl, parent: unknown = null): Promise<any> {
  return state.handlers.get(channel)!({ senderFrame: { url, parent } }, args) as Promise<any>;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tscope-main-'));
  state.appPath = dir;
  state.userData = join(dir, 'user-data');
  // The "bundled" demo and a second case, built with the real engine.
  mkdirSync(join(dir, 'resources'));
  const flows = join(dir, 'flows.log');
  await writeFlowLog(flows, 50);
  for (const path of [join(dir, 'resources/demo.tscope'), join(dir, 'other.tscope')]) {
    const ws = new Workspace({ log: () => undefined });
    await ws.create(path);
    await ws.startIngest([flows]);
    await ws.idle();
    await ws.requireSession().save();
    await ws.shutdown();
  }
  other = join(dir, 'other.tscope');
  await import('../../src-main/index.ts');
  state.resolveReady();
  await until(() => state.windows.length === 1 && state.handlers.size === channels.length);
  // Under vitest __dirname is src-main/ rather than out/main/, so take the page the window loaded.
  indexUrl = pathToFileURL(state.windows[0].loaded).href;
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Electron main (stand-in electron module)', () => {
  it('creates one hardened window loading the built renderer with the preload', () => {
    const [win] = state.windows;
    const prefs = win.options.webPreferences;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, webviewTag: false, webSecurity: true });
    expect(prefs.preload).toMatch(/[\\/]preload[\\/]index\.js$/);
    expect(win.loaded).toMatch(/[\\/]renderer[\\/]index\.html$/);
  });

  it('registers every channel and answers only our renderer page', async () => {
    expect([...state.handlers.keys()].sort()).toEqual([...channels].sort());
    expect(await invoke('app.info', {})).toMatchObject({ ok: true, value: { mode: 'electron', version: '0.1.0', demoAvailable: true } });
    expect(await invoke('app.info', {}, `${indexUrl}#/findings`)).toMatchObject({ ok: true });
    for (const url of ['https://evil.example/', 'file:///tmp/other.html', 'about:blank', 'not a url']) {
      const r = await invoke('app.info', {}, url);
      expect(r, url).toMatchObject({ ok: false });
      expect(r.error.message).toMatch(/did not come from the Tunnelscope window/);
    }
    expect(await invoke('app.info', {}, indexUrl, { url: indexUrl })).toMatchObject({ ok: false });
    expect(await invoke('case.open', { path: 7 })).toMatchObject({ ok: false, error: { code: 'bad-argument' } });
    // Native dialogs are offered to the renderer in the desktop app.
    expect(await invoke('app.pickPath', { kind: 'import-folder' })).toEqual({ ok: true, value: { paths: ['/logs'] } });
    expect(await invoke('app.pickPath', { kind: 'save-case' })).toEqual({ ok: true, value: { paths: [] } });
  });

  it('opens the bundled demo on first run and pushes events to the window', async () => {
    await until(async () => (await invoke('case.current', {})).value !== null);
    const current = await invoke('case.current', {});
    expect(current.value.path).toBe(join(dir, 'resources/demo.tscope'));
    expect(current.value.readOnly).toBe(true);
    expect(state.sent.some(([channel, event]) => channel === 'tunnelscope:event' && event === 'case.changed')).toBe(true);
    expect(state.windows[0].title).toBe('demo.tscope — Tunnelscope');
  });

  it('adds the CSP header to every response and lets the renderer reach nothing but local files', () => {
    let out: any;
    state.headers!({ responseHeaders: { 'Content-Type': ['text/html'] } }, (r: unknown) => (out = r));
    expect(out.responseHeaders['Content-Security-Policy'][0]).toContain("script-src 'self'");
    expect(out.responseHeaders['Content-Type']).toEqual(['text/html']);
    const verdict = (url: string) => {
      let v: any;
      state.beforeRequest!({ url }, (r: unknown) => (v = r));
      return v.cancel;
    };
    expect(verdict(indexUrl)).toBe(false);
    expect(verdict('https://example.com/x.js')).toBe(true);
    expect(verdict('http://127.0.0.1:8080/')).toBe(true);
  });

  it('refuses navigation away, new windows and webviews', () => {
    const wc = state.windows[0].webContents;
    const nav = (event: string, url: string) => {
      let prevented = false;
      wc.emit(event, { preventDefault: () => (prevented = true), url }, url);
      return prevented;
    };
    expect(nav('will-navigate', 'https://evil.example/')).toBe(true);
    expect(nav('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(nav('will-navigate', indexUrl)).toBe(false);
    expect(nav('will-redirect', 'https://evil.example/')).toBe(true);
    expect(nav('will-frame-navigate', 'https://evil.example/')).toBe(true);
    expect(nav('will-attach-webview', 'https://evil.example/')).toBe(true);
    expect(wc.openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
  });

  it('has the File, View and Help menus', () => {
    const template = state.menu.template as { label?: string; role?: string; submenu?: { label?: string }[] }[];
    const file = template.find((m) => m.label === '&File')!;
    const labels = file.submenu!.map((i) => i.label);
    for (const l of ['Open Investigation…', 'Open Recent', 'Import Logs…', 'Import Folder…', 'Save', 'Save As…']) expect(labels).toContain(l);
    expect(template.some((m) => m.label === '&View')).toBe(true);
    // Export items hand over to the renderer's export dialog.
    const exportItem = file.submenu!.find((i) => i.label === 'Export Report…') as unknown as { click(): void };
    exportItem.click();
    expect(state.sent.at(-1)).toEqual(['tunnelscope:event', 'menu.command', { command: 'export-report' }]);
    expect(template.some((m) => m.role === 'help')).toBe(true);
  });

  it('opens a .tscope handed over by the OS or by a second instance', async () => {
    fake.electron.app.emit('second-instance', {}, ['electron', '--flag', other]);
    await until(async () => (await invoke('case.current', {})).value?.path === other);
    await until(() => state.windows[0].title === 'other.tscope — Tunnelscope');
    // A writable case joins Recent (the menu and the OS list); the read-only demo does not.
    expect(state.recent).toEqual([other]);
    const file = (state.menu.template as { label?: string; submenu?: { label?: string; submenu?: { sublabel?: string }[] }[] }[]).find((m) => m.label === '&File')!;
    expect(file.submenu!.find((i) => i.label === 'Open Recent')!.submenu!.map((i) => i.sublabel)).toContain(other);
    const demo = join(dir, 'resources/demo.tscope');
    fake.electron.app.emit('open-file', { preventDefault() {} }, demo);
    await until(async () => (await invoke('case.current', {})).value?.path === demo);
  });

  it('quits by stopping work and closing the case before really exiting', async () => {
    const started = await invoke('ingest.start', { paths: [join(dir, 'flows.log')] });
    // The demo is read-only, so this is refused; reopen the other case to have real work running.
    expect(started).toMatchObject({ ok: false, error: { code: 'read-only' } });
    await invoke('case.open', { path: other });
    const big = join(dir, 'big.log');
    await writeFlowLog(big, 200_000);
    expect(await invoke('ingest.start', { paths: [big] })).toMatchObject({ ok: true });
    const before = state.quitCalls;
    const prevented = fake.electron.app.quit();
    expect(prevented).toBe(true); // the first quit waits for the cleanup
    await until(() => state.quitCalls === before + 2);
    expect(state.exitCalls).toBe(0);
    expect(await invoke('case.current', {})).toMatchObject({ ok: true, value: null });
    // The file on disk is intact and has no lock left behind.
    const again = new Workspace({ log: () => undefined });
    const s = await again.open(other);
    expect(s.counts.vpc_flows).toBe(50);
    await again.shutdown();
  });
});
