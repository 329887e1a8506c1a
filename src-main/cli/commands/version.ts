import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FORMAT_VERSION } from '../../engine/db/schema/index.ts';
import type { Command } from '../command.ts';

export const command: Command = {
  summary: 'print the version and the case file format it writes',
  usage: 'tunnelscope version',
  async run() {
    const { version } = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { version: string };
    process.stdout.write(`tunnelscope ${version} (case format ${FORMAT_VERSION})\n`);
    return 0;
  },
};
