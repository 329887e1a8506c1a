import { contextBridge, ipcRenderer } from 'electron';
import { channels } from './shared/contract.ts';

contextBridge.exposeInMainWorld('api', {
  channels,
  invoke: (channel: string, args: unknown) => ipcRenderer.invoke(channel, args),
});
