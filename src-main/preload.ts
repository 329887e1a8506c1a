// The preload: exposes window.api (the typed contract bridge) and one helper for dropped files.
// It imports only the zod-free name lists, so the sandboxed bundle requires nothing but 'electron'.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { channelNames, eventNameList, IPC_EVENT } from './shared/channels.ts';

const requests = new Set<string>(channelNames);
const events = new Set<string>(eventNameList);

contextBridge.exposeInMainWorld('api', {
  invoke(channel: string, args: unknown): Promise<unknown> {
    if (!requests.has(channel)) {
      return Promise.resolve({ ok: false, error: { code: 'not-found', message: `Unknown request '${String(channel)}'.` } });
    }
    return ipcRenderer.invoke(channel, args);
  },
  on(event: string, listener: (payload: unknown) => void): () => void {
    if (!events.has(event)) return () => undefined;
    // The IPC event object never reaches the page: it carries `sender` (ipcRenderer) with it.
    const wrapped = (_e: unknown, name: unknown, payload: unknown) => {
      if (name === event) listener(payload);
    };
    ipcRenderer.on(IPC_EVENT, wrapped);
    return () => ipcRenderer.removeListener(IPC_EVENT, wrapped);
  },
  /** The file-system path of a File dropped on the window (Electron only). */
  pathForFile(file: File): string {
    return webUtils.getPathForFile(file);
  },
});
