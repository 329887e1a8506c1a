import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { Db } from '../../src-main/engine/db/index.ts';
import { ingestPaths } from '../../src-main/engine/ingest/service.ts';
import { fix } from './ingest-json-harness.ts';

const A = 'vpn-0a1b2c3d4e5f60718';
const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(async () => {
  for (const d of dbs.splice(0)) await d.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('JSON sources through the ingest service', () => {
  it('imports a folder of metrics pages (one gzipped), their query file, logs and snapshots in one batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tscope-svc-'));
    dirs.push(dir);
    const inbox = join(dir, 'incident');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(inbox);
    // Names sort the query file last, so the pages are loaded before it.
    copyFileSync(fix('metrics/get-metric-data.page1.json'), join(inbox, 'a-page1.json'));
    writeFileSync(join(inbox, 'a-page2.json.gz'), gzipSync(readFileSync(fix('metrics/get-metric-data.page2.json'))));
    copyFileSync(fix('metrics/queries.json'), join(inbox, 'z-queries.json'));
    copyFileSync(fix('logs/bgp-subscription.json'), join(inbox, 'bgp.json'));
    writeFileSync(join(inbox, `export-${A}-203.0.113.10.gz`), gzipSync(readFileSync(fix(`logs/export-${A}-203.0.113.10-000000.txt`))));
    copyFileSync(fix('config/describe-transit-gateway-attachments.json'), join(inbox, 'b-attachments.json'));
    copyFileSync(fix('config/describe-vpn-connections.json'), join(inbox, 'c-vpns.json'));
    const db = await Db.open(join(dir, 'case.tscope'), { threads: 2 });
    dbs.push(db);
    const summary = await ingestPaths(db, [inbox]);
    const byPath = Object.fromEntries(summary.files.map((f) => [f.path.split('/').pop(), f]));
    expect(byPath['a-page1.json']).toMatchObject({ kind: 'metrics', outcome: 'imported', records: 30 });
    expect(byPath['a-page2.json.gz']).toMatchObject({ kind: 'metrics', outcome: 'imported', records: 30 });
    expect(byPath['z-queries.json']).toMatchObject({ kind: 'config', outcome: 'imported', records: 5 });
    expect(byPath['bgp.json']).toMatchObject({ kind: 'vpn_bgp_log', outcome: 'imported', records: 7 });
    // Its BGP line is also in bgp.json: written once.
    expect(byPath[`export-${A}-203.0.113.10.gz`]).toMatchObject({ kind: 'vpn_tunnel_log', outcome: 'imported', records: 3, quarantined: 1 });
    expect(await db.all('SELECT count(*)::INTEGER AS n FROM bgp_events')).toEqual([{ n: 7 }]);
    expect(byPath['c-vpns.json']).toMatchObject({ kind: 'config', outcome: 'imported', records: 2 });
    expect(await db.all('SELECT count(*)::INTEGER AS n, bool_and(attributed) AS all_attributed FROM metric_points')).toEqual([{ n: 60, all_attributed: true }]);
    const sources = await db.all<{ path: string; format: string; lines_read: number }>('SELECT path, format, lines_read FROM sources ORDER BY path');
    expect(sources.find((s) => s.path.endsWith('a-page2.json.gz'))).toMatchObject({ format: 'get-metric-data', lines_read: 30 });
    expect(await db.all('SELECT tunnel_ip, tunnel_index, attachment_id, origin FROM vpn_tunnels WHERE vpn_id = $v ORDER BY tunnel_index', { v: A })).toEqual([
      { tunnel_ip: '203.0.113.10', tunnel_index: 1, attachment_id: 'tgw-attach-0aaa1111bbbb2222c', origin: 'config' },
      { tunnel_ip: '203.0.113.20', tunnel_index: 2, attachment_id: 'tgw-attach-0aaa1111bbbb2222c', origin: 'config' },
    ]);
  });
});
