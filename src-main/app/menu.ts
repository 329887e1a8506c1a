/** The native menu. Items call main-side actions (dialogs + the same handlers the renderer uses). */
import { app, Menu, type MenuItemConstructorOptions } from 'electron';
import { basename } from 'node:path';

export interface MenuActions {
  open(): void;
  openRecent(path: string): void;
  clearRecent(): void;
  openDemo(): void;
  newCase(): void;
  importFiles(): void;
  importFolder(): void;
  save(): void;
  saveAs(): void;
  exportReport(): void;
  exportShared(): void;
  closeCase(): void;
  toggleTheme(): void;
  about(): void;
}

export function buildMenu(actions: MenuActions, recent: string[], opts: { devTools: boolean; demoAvailable: boolean }): Menu {
  const mac = process.platform === 'darwin';
  const recentItems: MenuItemConstructorOptions[] = recent.length
    ? [...recent.map((p) => ({ label: basename(p), sublabel: p, toolTip: p, click: () => actions.openRecent(p) })), { type: 'separator' }, { label: 'Clear Recent', click: actions.clearRecent }]
    : [{ label: 'No recent investigations', enabled: false }];
  const template: MenuItemConstructorOptions[] = [
    ...(mac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        { label: 'New Investigation', accelerator: 'CmdOrCtrl+N', click: actions.newCase },
        { label: 'Open Investigation…', accelerator: 'CmdOrCtrl+O', click: actions.open },
        { label: 'Open Recent', submenu: recentItems },
        { label: 'Open Demo Investigation', enabled: opts.demoAvailable, click: actions.openDemo },
        { type: 'separator' },
        { label: 'Import Logs…', accelerator: 'CmdOrCtrl+I', click: actions.importFiles },
        { label: 'Import Folder…', accelerator: 'CmdOrCtrl+Shift+I', click: actions.importFolder },
        { type: 'separator' },
        { label: 'Save', accelerator: 'CmdOrCtrl+S', click: actions.save },
        { label: 'Save As…', accelerator: 'CmdOrCtrl+Shift+S', click: actions.saveAs },
        { label: 'Export Report…', accelerator: 'CmdOrCtrl+E', click: actions.exportReport },
        { label: 'Export Redacted Copy…', click: actions.exportShared },
        { type: 'separator' },
        { label: 'Close Investigation', accelerator: 'CmdOrCtrl+W', click: actions.closeCase },
        ...(mac ? [] : [{ type: 'separator' as const }, { role: 'quit' as const }]),
      ],
    },
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        { label: 'Toggle Light/Dark Theme', accelerator: 'CmdOrCtrl+Shift+T', click: actions.toggleTheme },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(opts.devTools ? [{ type: 'separator' as const }, { role: 'reload' as const }, { role: 'toggleDevTools' as const }] : []),
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        { label: 'Open Demo Investigation', enabled: opts.demoAvailable, click: actions.openDemo },
        { label: `About Tunnelscope ${app.getVersion()}`, click: actions.about },
      ],
    },
  ];
  return Menu.buildFromTemplate(template);
}
