import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, constants } from 'node:zlib';
import { writeBulkFlowExport, generateScenario, corruptExport, topology as T } from '../helpers/generator/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'gen-bulk-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('bulk export', () => {
  it('streams the exact record counts into 5-minute gzip files with headers', async () => {
    const r = await writeBulkFlowExport(join(tmp, 'bulk'), { vpcRecords: 25_000, tgwRecords: 12_000, seed: 1, perFile: 10_000 });
    expect(r.files.length).toBe(3 + 2);
    let vpc = 0;
    let tgw = 0;
    for (const f of r.files) {
      const ls = gunzipSync(readFileSync(f)).toString('utf8').split('\n').filter((l) => l);
      const header = ls[0]!.split(' ');
      for (const l of ls.slice(1, 200)) expect(l.split(' ').length).toBe(header.length);
      if (f.includes(T.TGW_FLOW_LOG_ID)) { tgw += ls.length - 1; expect(header).toEqual(T.TGW_DEFAULT_FIELDS); }
      else { vpc += ls.length - 1; expect(header).toEqual(T.V5_FIELDS); }
    }
    expect([vpc, tgw]).toEqual([25_000, 12_000]);
  });
});

describe('corruption injector', () => {
  it('inserts bad lines it counts exactly and cuts one gzip short', async () => {
    const dir = join(tmp, 'c');
    await generateScenario({ scenarios: ['quiet'], start: '2026-11-20T13:00:00Z', hours: 1, seed: 5, scale: 0.5 }, dir);
    const res = await corruptExport(dir, { seed: 9 });
    expect(res.byReason['field-count']).toBe(6);
    expect(res.byReason['bad-number']).toBe(3);
    expect(res.byReason['bad-timestamp']).toBe(3);
    expect(res.byReason.junk).toBe(3);
    expect(res.byReason['bad-json']).toBe(2);
    expect(res.expectedQuarantine).toBe(17);
    const vpcFile = res.files.find((f) => f.path.includes(T.FLOW_LOGS.appA.id))!;
    const ls = gunzipSync(readFileSync(join(dir, vpcFile.path))).toString('utf8').split('\n');
    const n = ls[0]!.split(' ').length;
    for (const ins of vpcFile.inserted) {
      const bad = ls[ins.line - 1]!;
      if (ins.reason === 'field-count') expect(bad.split(' ').length).not.toBe(n);
      if (ins.reason === 'bad-number') expect(bad).toMatch(/ \d+x /);
    }
    expect(res.truncated.length).toBe(1);
    const cut = readFileSync(join(dir, res.truncated[0]!.path));
    expect(() => gunzipSync(cut)).toThrow();
    const partial = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
    expect(partial.split('\n').length - 1).toBe(res.truncated[0]!.completeLines);
    expect(existsSync(join(dir, 'config/describe-vpn-connections.json'))).toBe(true);
    expect(Array.isArray(JSON.parse(readFileSync(join(dir, 'config/describe-vpn-connections.json'), 'utf8')).VpnConnections)).toBe(false);
  });
});
