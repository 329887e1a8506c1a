/** Writes a synthetic default-format (v2) VPC flow log, big enough for ingest to report progress. */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export async function writeFlowLog(path: string, lines: number, startEpoch = 1_700_000_000): Promise<void> {
  const out = createWriteStream(path);
  out.write('version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n');
  let chunk = '';
  for (let i = 0; i < lines; i++) {
    const t = startEpoch + Math.floor(i / 50);
    const action = i % 17 === 0 ? 'REJECT' : 'ACCEPT';
    chunk += `2 012345678901 eni-0a1b2c3d4e5f60718 10.0.${(i >> 8) & 255}.${i & 255} 10.1.0.${i % 200} ${30000 + (i % 20000)} 443 6 ${1 + (i % 9)} ${60 + (i % 1400)} ${t} ${t + 60} ${action} OK\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}
