/**
 * Hardening for every web contents: only our renderer page may load or call main; navigation,
 * new windows, webviews and permission requests are refused; the CSP goes out as a header too.
 */
import { app, session, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { pathToFileURL } from 'node:url';
import { CSP } from '../server/security.ts';

export interface RendererLocation {
  /** out/renderer/index.html */
  indexFile: string;
  /** ELECTRON_RENDERER_URL while developing with electron-vite dev. */
  devUrl?: string;
}

/** True when `url` is our renderer page (query and hash ignored). */
export function isRendererUrl(url: string, where: RendererLocation): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (where.devUrl) {
    const dev = new URL(where.devUrl);
    return u.origin === dev.origin && (u.protocol === 'http:' || u.protocol === 'https:');
  }
  if (u.protocol !== 'file:') return false;
  return `${u.protocol}//${u.host}${u.pathname}` === pathToFileURL(where.indexFile).href;
}

/** Every IPC call is checked: the calling frame must be our renderer's main frame. */
export function isTrustedSender(event: IpcMainInvokeEvent, where: RendererLocation): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent) return false;
  return isRendererUrl(frame.url, where);
}

function harden(contents: WebContents, where: RendererLocation): void {
  contents.on('will-navigate', (e, url) => {
    if (!isRendererUrl(url, where)) e.preventDefault();
  });
  contents.on('will-frame-navigate', (e) => {
    if (!isRendererUrl(e.url, where)) e.preventDefault();
  });
  contents.on('will-redirect', (e, url) => {
    if (!isRendererUrl(url, where)) e.preventDefault();
  });
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-attach-webview', (e) => e.preventDefault());
}

export function installSecurity(where: RendererLocation): void {
  app.on('web-contents-created', (_e, contents) => harden(contents, where));
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [CSP],
        'X-Content-Type-Options': ['nosniff'],
      },
    });
  });
  // Offline by design: the renderer never reaches the network (S3 imports run in main).
  ses.webRequest.onBeforeRequest((details, callback) => {
    const u = details.url;
    const local = u.startsWith('file:') || u.startsWith('devtools:') || u.startsWith('data:') || u.startsWith('blob:') || (!!where.devUrl && u.startsWith(new URL(where.devUrl).origin));
    callback({ cancel: !local });
  });
}
