/** Native open/save dialogs; each returns null (or []) when the user cancels. */
import { dialog, type BrowserWindow } from 'electron';

const CASE_FILTER = { name: 'Tunnelscope investigation', extensions: ['tscope'] };
const LOG_FILTERS = [
  { name: 'Logs, metrics and configuration', extensions: ['log', 'gz', 'txt', 'csv', 'json', 'jsonl', 'parquet', 'xml'] },
  { name: 'All files', extensions: ['*'] },
];

export async function chooseCase(win: BrowserWindow | null): Promise<string | null> {
  const opts = { title: 'Open investigation', properties: ['openFile'] as const, filters: [CASE_FILTER] };
  const r = win ? await dialog.showOpenDialog(win, { ...opts, properties: [...opts.properties] }) : await dialog.showOpenDialog({ ...opts, properties: [...opts.properties] });
  return r.canceled ? null : (r.filePaths[0] ?? null);
}

export async function chooseLogFiles(win: BrowserWindow | null): Promise<string[]> {
  const opts: Electron.OpenDialogOptions = { title: 'Import logs', properties: ['openFile', 'multiSelections'], filters: LOG_FILTERS };
  const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
  return r.canceled ? [] : r.filePaths;
}

export async function chooseLogFolder(win: BrowserWindow | null): Promise<string[]> {
  const opts: Electron.OpenDialogOptions = { title: 'Import folder', properties: ['openDirectory', 'multiSelections'] };
  const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
  return r.canceled ? [] : r.filePaths;
}

export async function chooseSavePath(win: BrowserWindow | null, title: string, defaultPath: string, filter = CASE_FILTER): Promise<string | null> {
  const opts: Electron.SaveDialogOptions = { title, defaultPath, filters: [filter], properties: ['createDirectory', 'showOverwriteConfirmation'] };
  const r = win ? await dialog.showSaveDialog(win, opts) : await dialog.showSaveDialog(opts);
  return r.canceled || !r.filePath ? null : r.filePath;
}

export function showError(win: BrowserWindow | null, title: string, message: string): void {
  const opts: Electron.MessageBoxOptions = { type: 'error', title, message: title, detail: message, buttons: ['OK'] };
  if (win) void dialog.showMessageBox(win, opts);
  else void dialog.showMessageBox(opts);
}

/** Asks before quitting or switching away from unsaved work: 'save' | 'discard' | 'cancel'. */
export async function confirmUnsaved(win: BrowserWindow | null, name: string): Promise<'save' | 'discard' | 'cancel'> {
  const opts: Electron.MessageBoxOptions = {
    type: 'warning',
    title: 'Unsaved investigation',
    message: `Save the changes to ${name}?`,
    detail: 'Imports, notes and reviews since the last save are lost if you do not save.',
    buttons: ['Save', "Don't save", 'Cancel'],
    defaultId: 0,
    cancelId: 2,
  };
  const r = win ? await dialog.showMessageBox(win, opts) : await dialog.showMessageBox(opts);
  return r.response === 0 ? 'save' : r.response === 1 ? 'discard' : 'cancel';
}

/** The renderer's `app.pickPath` request: one native dialog per kind. */
export async function pick(win: BrowserWindow | null, kind: string, defaultName = 'investigation'): Promise<string[]> {
  const one = (p: string | null) => (p ? [p] : []);
  switch (kind) {
    case 'open-case':
      return one(await chooseCase(win));
    case 'import-files':
      return chooseLogFiles(win);
    case 'import-folder':
      return chooseLogFolder(win);
    case 'save-case':
      return one(await chooseSavePath(win, 'Save investigation as', ensureExt(defaultName, 'tscope')));
    case 'save-report': {
      const md = /\.md$/i.test(defaultName);
      return one(await chooseSavePath(win, 'Export report', defaultName, md ? { name: 'Markdown report', extensions: ['md'] } : { name: 'HTML report', extensions: ['html'] }));
    }
    case 'save-shared':
      return one(await chooseSavePath(win, 'Export redacted copy', ensureExt(defaultName, 'tscope')));
    default:
      return [];
  }
}

function ensureExt(name: string, ext: string): string {
  return name.toLowerCase().endsWith(`.${ext}`) ? name : `${name}.${ext}`;
}
