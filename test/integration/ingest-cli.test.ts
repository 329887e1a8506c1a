import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanTmp, FIX, tmp } from './ingest-helpers.ts';

afterEach(cleanTmp);

const BIN = resolve(__dirname, '../../src-main/cli/bin.mjs');
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('tunnelscope ingest / info / query', () => {
  it('ingest creates the case, appends, reports quarantine in the exit status, and info/query read it', () => {
    const dir = tmp();
    const file = join(dir, 'c.tscope');
    const ok = cli('ingest', join(FIX, 'real-world/lynfaina-secure-iot-cloud/vpcflowlogs.log'), '--case', file, '--json');
    expect(ok.code).toBe(0);
    const j = JSON.parse(ok.out);
    expect(j.byKind.vpc_flows).toMatchObject({ files: 1, records: 214, quarantined: 0, duplicates: 0, timeMin: '2025-11-28T04:01:39.000Z' });
    expect(existsSync(file)).toBe(true);

    const q = cli('ingest', join(FIX, 'otel-collector-contrib-awslogs/vpc_flow_log_too_many_fields.log'), join(FIX, 'real-world/lynfaina-secure-iot-cloud/vpcflowlogs.log'), '--case', file);
    expect(q.code).toBe(1);
    expect(q.err).toContain('completed with 1 quarantined lines');
    expect(q.out).toContain('1 duplicate files skipped');

    const info = cli('info', file, '--json');
    expect(info.code).toBe(0);
    const s = JSON.parse(info.out);
    expect(s.counts).toMatchObject({ vpc_flows: 214, tgw_flows: 0, quarantined: 1 });
    expect(s.sources).toHaveLength(2);
    expect(s.timeMin).toBe('2025-11-28T04:01:39.000Z');
    const text = cli('info', file);
    expect(text.out).toContain('vpc_flows');
    expect(text.out).toMatch(/#2 vpc_flows\/s3-text 0 records, 1 quarantined of 2 lines/);

    const sel = cli('query', file, 'SELECT action, count(*) AS n FROM vpc_flows GROUP BY 1 ORDER BY 1', '--json');
    expect(sel.code).toBe(0);
    expect(JSON.parse(sel.out)).toEqual([
      { action: 'ACCEPT', n: 192 },
      { action: 'REJECT', n: 22 },
    ]);
    const csv = cli('query', file, "SELECT 'a,b' AS x, 1 AS y", '--csv');
    expect(csv.out).toBe('x,y\n"a,b",1\n');
    const table = cli('query', file, 'SELECT count(*) AS n FROM quarantine');
    expect(table.out).toContain('(1 row)');

    const del = cli('query', file, 'DELETE FROM vpc_flows');
    expect(del.code).toBe(3);
    expect(del.err.trim().split('\n')).toHaveLength(1);
    expect(del.err).toContain('read-only');
    const again = cli('query', file, 'SELECT count(*) AS n FROM vpc_flows', '--json');
    expect(JSON.parse(again.out)).toEqual([{ n: 214 }]);
  }, 120_000);

  it('errors are one sentence with the documented exit codes', () => {
    const dir = tmp();
    expect(cli('ingest', join(dir, 'missing.log'), '--case', join(dir, 'x.tscope'))).toMatchObject({ code: 3 });
    const noCase = cli('ingest', join(FIX, 'real-world/lynfaina-secure-iot-cloud/vpcflowlogs.log'));
    expect(noCase.code).toBe(2);
    expect(noCase.err).toContain('--case');
    const badFormat = cli('ingest', join(FIX, 'real-world/lynfaina-secure-iot-cloud/vpcflowlogs.log'), '--case', join(dir, 'y.tscope'), '--format', '1 2 3');
    expect(badFormat.code).toBe(2);
    expect(badFormat.err).toContain('is not a flow-log field list');
    const badAttr = cli('ingest', join(FIX, 'real-world/lynfaina-secure-iot-cloud/vpcflowlogs.log'), '--case', join(dir, 'y.tscope'), '--attribute', 'oops');
    expect(badAttr.code).toBe(2);
    const info = cli('info', join(dir, 'nope.tscope'));
    expect(info.code).toBe(3);
    expect(info.err.trim()).toMatch(/does not exist\.$/);
  }, 120_000);
});
