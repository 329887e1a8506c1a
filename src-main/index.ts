// Electron composition root: one instance, hardened window, the contract over IPC (every sender
// checked), native menus and dialogs, .tscope files from the OS, and a quit that stops running work
// and closes the case before the process exits.
import { app, BrowserWindow, ipcMain, Menu, dialog } from 'electron';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Workspace } from './engine/workspace.ts';
import { contextFor, dispatch } from './ipc/index.ts';
import { channels } from './shared/contract.ts';
import { IPC_EVENT } from './shared/channels.ts';
import { fail, toErrorValue } from './shared/result.ts';
import { installSecurity, isTrustedSender, type RendererLocation } from './app/security.ts';
import { createMainWindow } from './app/window.ts';
import { buildMenu } from './app/menu.ts';
import { chooseCase, chooseLogFiles, chooseLogFolder, chooseSavePath, confirmUnsaved, pick, showError } from './app/dialogs.ts';
import { AppState } from './app/state.ts';

const where: RendererLocation = {
  indexFile: join(__dirname, '../renderer/index.html'),
  devUrl: !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined,
};
const preload = join(__dirname, '../preload/index.js');
const demoPath = app.isPackaged ? join(process.resourcesPath, 'demo.tscope') : join(app.getAppPath(), 'resources/demo.tscope');
/** The window icon (Linux; macOS and Windows take theirs from the installer, electron-builder.yml). */
const iconPath = app.isPackaged ? join(process.resourcesPath, 'icon.png') : join(app.getAppPath(), 'resources/build/icon.png');

/** A .tscope named on the command line (first launch, or a second instance forwarding its argv). */
function caseFromArgv(argv: string[]): string | null {
  for (const a of argv.slice(1)) {
    if (a.startsWith('-') || !a.toLowerCase().endsWith('.tscope')) continue;
    const p = resolve(a);
    if (existsSync(p)) return p;
  }
  return null;
}

// Tests (and portable setups) point the profile elsewhere; must happen before the instance lock.
if (process.env.TUNNELSCOPE_USER_DATA) app.setPath('userData', resolve(process.env.TUNNELSCOPE_USER_DATA));

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let win: BrowserWindow | null = null;
  let ws: Workspace | null = null;
  const pendingOpen: string[] = [];
  const initial = caseFromArgv(process.argv);
  if (initial) pendingOpen.push(initial);

  // macOS delivers double-clicked files as events, possibly before `ready`.
  app.on('open-file', (e, path) => {
    e.preventDefault();
    if (ws) void openCase(path);
    else pendingOpen.push(path);
  });
  app.on('second-instance', (_e, argv) => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
    const p = caseFromArgv(argv);
    if (p && ws) void openCase(p);
  });

  let state: AppState;

  async function report<T>(title: string, work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (e) {
      const err = toErrorValue(e);
      if (err.code !== 'cancelled') showError(win, title, err.message);
      return undefined;
    }
  }

  async function call(channel: Parameters<typeof dispatch>[0], args: unknown, title: string): Promise<boolean> {
    const r = await dispatch(channel, args, contextFor(ws!, { pickPath: (kind, name) => pick(win, kind, name) }));
    if (!r.ok) showError(win, title, r.error.message);
    return r.ok;
  }

  async function openCase(path: string): Promise<void> {
    if (ws?.current?.path === resolve(path)) return;
    if (!(await guardUnsaved())) return;
    await report('Could not open the investigation', () => ws!.open(path));
  }

  function refreshMenu(): void {
    Menu.setApplicationMenu(buildMenu(actions, state.recent(), { devTools: !app.isPackaged, demoAvailable: !!ws?.demoAvailable }));
  }

  const stem = (name: string) => name.replace(/\.tscope$/i, '');

  async function saveAs(): Promise<boolean> {
    const current = ws?.current;
    if (!current) {
      showError(win, 'Nothing to save', 'Open an investigation or import logs first.');
      return false;
    }
    const target = await chooseSavePath(win, 'Save investigation as', stem(current.name) + '.tscope');
    if (!target) return false;
    return call('case.save', { path: target }, 'Could not save the investigation');
  }

  async function save(): Promise<boolean> {
    const current = ws?.current;
    if (!current) {
      showError(win, 'Nothing to save', 'Open an investigation or import logs first.');
      return false;
    }
    // An untitled or read-only case (the demo) has no file of its own to write to yet.
    if (current.path === null || current.readOnly) return saveAs();
    return call('case.save', {}, 'Could not save the investigation');
  }

  /** Before work is thrown away (close, open another, quit): true when it is fine to go on. */
  async function guardUnsaved(): Promise<boolean> {
    const current = ws?.current;
    if (!current || current.isClosed || !current.dirty || current.readOnly) return true;
    const choice = await confirmUnsaved(win, current.name);
    if (choice === 'cancel') return false;
    if (choice === 'discard') return true;
    return save();
  }

  const actions = {
    open: async () => {
      const p = await chooseCase(win);
      if (p) await openCase(p);
    },
    openRecent: (p: string) => void openCase(p),
    clearRecent: () => {
      state.clearRecent();
      app.clearRecentDocuments();
      refreshMenu();
    },
    openDemo: async () => {
      if (await guardUnsaved()) await report('Could not open the demo', () => ws!.openDemo());
    },
    newCase: async () => {
      if (await guardUnsaved()) await report('Could not start a new investigation', () => ws!.create());
    },
    importFiles: async () => {
      const paths = await chooseLogFiles(win);
      if (paths.length) await call('ingest.start', { paths }, 'Could not import');
    },
    importFolder: async () => {
      const paths = await chooseLogFolder(win);
      if (paths.length) await call('ingest.start', { paths }, 'Could not import');
    },
    save: () => void save(),
    saveAs: () => void saveAs(),
    // The renderer owns the export dialogs (format, what to keep, where): it opens them on these.
    exportReport: () => ws?.emit('menu.command', { command: 'export-report' }),
    exportShared: () => ws?.emit('menu.command', { command: 'export-shared' }),
    closeCase: async () => {
      if (await guardUnsaved()) await report('Could not close the investigation', () => ws!.close());
    },
    toggleTheme: () => ws?.emit('menu.command', { command: 'toggle-theme' }),
    about: () => {
      void dialog.showMessageBox({
        type: 'info',
        title: 'About Tunnelscope',
        message: `Tunnelscope ${app.getVersion()}`,
        detail: 'Offline forensics workbench for AWS Site-to-Site VPN and Transit Gateway incidents.',
      });
    },
  };

  app.whenReady().then(async () => {
    installSecurity(where);
    state = new AppState(app.getPath('userData'));
    ws = new Workspace({ mode: 'electron', version: app.getVersion(), demoPath, log: (m) => console.error(m) });
    const ctx = contextFor(ws, { pickPath: (kind, defaultName) => pick(win, kind, defaultName) });

    for (const channel of channels) {
      ipcMain.handle(channel, async (event, args: unknown) => {
        if (!isTrustedSender(event, where)) return fail('internal', 'Refused: the request did not come from the Tunnelscope window.');
        return dispatch(channel, args, ctx, (m) => console.error(m));
      });
    }
    ws.onEvent((event, payload) => {
      for (const w of BrowserWindow.getAllWindows()) if (!w.isDestroyed()) w.webContents.send(IPC_EVENT, event, payload);
      if (event === 'case.changed') {
        const s = ws?.current;
        if (s?.path && !s.readOnly) {
          state.addRecent(s.path);
          app.addRecentDocument(s.path); // the OS's own recent list (Dock / Jump List)
        }
        win?.setTitle(s ? `${s.dirty ? '• ' : ''}${s.name} — Tunnelscope` : 'Tunnelscope');
        refreshMenu();
      }
    });

    refreshMenu();
    win = createMainWindow(preload, where, iconPath);
    win.on('closed', () => (win = null));
    // Closing the window with unsaved work goes through the same question as quitting.
    win.on('close', (e) => {
      if (!cleaned && ws?.current?.dirty && !ws.current.readOnly) {
        e.preventDefault();
        app.quit();
      }
    });

    // What to show first: a file from the OS, else the demo on first run, else the last case.
    const first = pendingOpen.pop();
    const last = state.recent()[0];
    if (first) await openCase(first);
    else if (state.firstRun && ws.demoAvailable) {
      await report('Could not open the demo', () => ws!.openDemo());
      state.markDemoShown();
    } else if (last) await openCase(last);
  });

  app.on('window-all-closed', () => app.quit());

  // Quit: abort ingests and queries, close the case (CaseSession writes the user's file only by
  // atomic rename, so an interrupted quit never leaves it half-written), then really exit.
  let cleaned = false;
  let cleaning = false;
  app.on('before-quit', (e) => {
    if (cleaned || !ws) return;
    e.preventDefault();
    if (cleaning) return;
    cleaning = true;
    void quitCleanly();
  });

  async function quitCleanly(): Promise<void> {
    if (!(await guardUnsaved())) {
      cleaning = false;
      return;
    }
    const forceAfter = setTimeout(() => {
      cleaned = true;
      app.exit(0);
    }, 10_000);
    await ws!.shutdown().catch((e) => console.error(e));
    clearTimeout(forceAfter);
    cleaned = true;
    app.quit();
  }
}
