/** app.info and the case lifecycle requests that the shell owns (open, demo, new, close). */
import { FORMAT_VERSION } from '../../engine/db/schema/index.ts';
import { AppError } from '../../shared/result.ts';
import type { Handlers } from '../types.ts';

export const appHandlers: Handlers<'app.info' | 'app.pickPath' | 'case.current' | 'case.open' | 'case.openDemo' | 'case.new' | 'case.close'> = {
  async 'app.info'(_args, { ws }) {
    return { version: ws.version, formatVersion: FORMAT_VERSION, mode: ws.mode, demoAvailable: ws.demoAvailable };
  },
  async 'app.pickPath'({ kind, defaultName }, ctx) {
    if (!ctx.pickPath) {
      throw new AppError('bad-argument', 'File dialogs exist only in the desktop app: type the path as it is on the machine running tunnelscope serve.');
    }
    return { paths: await ctx.pickPath(kind, defaultName) };
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
