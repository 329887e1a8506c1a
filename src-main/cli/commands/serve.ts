import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Workspace } from '../../engine/workspace.ts';
import { startServer } from '../../server/index.ts';
import { AppError } from '../../shared/result.ts';
import { EXIT, type Command } from '../command.ts';

const ROOT = join(__dirname, '../../..');

export const command: Command = {
  summary: 'open an investigation in your browser (HTTP on 127.0.0.1 with a session token)',
  usage: 'tunnelscope serve [file.tscope] [--port N]\n\n' +
    'Serves the built renderer (npm run build) and the engine on 127.0.0.1 only and prints a URL carrying a\n' +
    'random token; requests without it are refused. Without a file it opens the bundled demo, if built.',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { port: { type: 'string', short: 'p' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      process.stdout.write(`usage: ${this.usage}\n`);
      return EXIT.ok;
    }
    if (positionals.length > 1) throw new AppError('bad-argument', 'Give at most one .tscope file to open.');
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new AppError('bad-argument', `--port must be a number from 0 to 65535, not '${values.port}'.`);

    const rendererDir = process.env.TUNNELSCOPE_RENDERER_DIR ?? join(ROOT, 'out/renderer');
    if (!existsSync(join(rendererDir, 'index.html'))) {
      throw new AppError('not-found', `The renderer is not built (${rendererDir} has no index.html): run npm run build first.`);
    }
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const demoPath = process.env.TUNNELSCOPE_DEMO ?? join(ROOT, 'resources/demo.tscope');
    const ws = new Workspace({ mode: 'browser', version, demoPath });

    const file = positionals[0];
    if (file) await ws.open(resolve(file));
    else if (ws.demoAvailable) await ws.openDemo();

    let handle;
    try {
      handle = await startServer({ ws, rendererDir, port });
    } catch (e) {
      await ws.shutdown();
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new AppError('io', `Port ${port} on 127.0.0.1 is already in use; pick another with --port or omit it.`);
      throw e;
    }
    const opened = ws.current ? `Investigation: ${ws.current.path}` : 'No investigation open (open or import one from the page).';
    process.stdout.write(`${opened}\nTunnelscope is serving on 127.0.0.1 only. Open:\n\n  ${handle.url}\n\nPress Ctrl+C to stop.\n`);

    await new Promise<void>((done) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`\n${signal}: closing the investigation…\n`);
        void handle.close().then(() => ws.shutdown()).finally(done);
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    return EXIT.ok;
  },
};
