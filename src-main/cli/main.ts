/**
 * The `tunnelscope` command: a table of subcommands, each in commands/<name>.ts, loaded lazily so
 * `tunnelscope info` does not pay for the server or S3 code.
 */
import { AppError, toErrorValue } from '../shared/result.ts';
import { EXIT, type Command } from './command.ts';

const commands: Record<string, () => Promise<{ command: Command }>> = {
  version: () => import('./commands/version.ts'),
  ingest: () => import('./commands/ingest.ts'),
  info: () => import('./commands/info.ts'),
  query: () => import('./commands/query.ts'),
  serve: () => import('./commands/serve.ts'),
  note: () => import('./commands/note.ts'),
  redact: () => import('./commands/redact.ts'),
  report: () => import('./commands/report.ts'),
  analyze: () => import('./commands/analyze.ts'),
  'explain-routes': () => import('./commands/explain-routes.ts'),
  collect: () => import('./commands/collect.ts'),
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    await printHelp();
    return name ? EXIT.ok : EXIT.usage;
  }
  const load = commands[name === '--version' ? 'version' : name];
  if (!load) {
    process.stderr.write(`tunnelscope: unknown command '${name}'. Run 'tunnelscope help' for the list.\n`);
    return EXIT.usage;
  }
  try {
    const { command } = await load();
    return await command.run(rest);
  } catch (e) {
    // node:util parseArgs rejects unknown or malformed options; every command points to its help.
    if (typeof (e as { code?: unknown }).code === 'string' && (e as { code: string }).code.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`tunnelscope ${name}: ${(e as Error).message.split('\n')[0]} (see 'tunnelscope ${name} --help').\n`);
      return EXIT.usage;
    }
    const err = toErrorValue(e);
    process.stderr.write(`tunnelscope ${name}: ${err.message}\n`);
    if (process.env.TUNNELSCOPE_DEBUG && e instanceof Error && !(e instanceof AppError)) process.stderr.write(`${e.stack}\n`);
    return err.code === 'bad-argument' ? EXIT.usage : err.code === 'cancelled' ? EXIT.cancelled : EXIT.failed;
  }
}

async function printHelp(): Promise<void> {
  const lines = ['usage: tunnelscope <command> [options]', ''];
  for (const [name, load] of Object.entries(commands)) {
    const { command } = await load();
    lines.push(`  ${name.padEnd(14)} ${command.summary}`);
  }
  lines.push('', "Run 'tunnelscope <command> --help' for a command's options.");
  process.stdout.write(lines.join('\n') + '\n');
}
