/** app.info and the case lifecycle requests that the shell owns (open, demo, new, close). */
import { FORMAT_VERSION } from '../../engine/db/schema/index.ts';
import type { Handlers } from '../types.ts';

export const appHandlers: Handlers<'app.info' | 'case.current' | 'case.open' | 'case.openDemo' | 'case.new' | 'case.close'> = {
  async 'app.info'(_args, { ws }) {
    return { version: ws.version, formatVersion: FORMAT_VERSION, mode: ws.mode, demoAvailable: ws.demoAvailable };
  },
  async 'case.current'(_args, { ws }) {
    return ws.summary();
  },
  async 'case.open'({ path }, { ws }) {
    return ws.open(path);
  },
  async 'case.openDemo'(_args, { ws }) {
    return ws.openDemo();
  },
  async 'case.new'({ path }, { ws }) {
    return ws.create(path);
  },
  async 'case.close'(_args, { ws }) {
    await ws.close();
    return null;
  },
};
