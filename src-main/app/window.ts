import { existsSync } from 'node:fs';
import { BrowserWindow } from 'electron';
import type { RendererLocation } from './security.ts';

export function createMainWindow(preload: string, where: RendererLocation, icon?: string): BrowserWindow {
  const win = new BrowserWindow({
    ...(icon && existsSync(icon) ? { icon } : {}),
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Tunnelscope',
    backgroundColor: '#101418',
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  if (where.devUrl) void win.loadURL(where.devUrl);
  else void win.loadFile(where.indexFile);
  return win;
}
