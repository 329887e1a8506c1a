import { FORMAT_VERSION } from '../engine/db/schema/index.ts';

export async function main(argv: string[]): Promise<number> {
  const [cmd] = argv;
  if (cmd === 'version' || cmd === '--version') {
    process.stdout.write(`tunnelscope case format ${FORMAT_VERSION}\n`);
    return 0;
  }
  process.stderr.write('usage: tunnelscope <ingest|info|query|analyze|serve|…> (see README)\n');
  return 2;
}
