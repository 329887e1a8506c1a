/** Small flow-log files of one layout are read and written as one batch (service.ts, batch.ts). */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ingestPaths } from '../../src-main/engine/ingest/service.ts';
import { cleanTmp, expectAccounting, FIX, ingest, sources, tmp, withCase } from './ingest-helpers.ts';

afterEach(cleanTmp);

const S3_FILE = join(FIX, 'real-world/lynfaina-secure-iot-cloud/vpcflowlogs.log');
const all = () => readFileSync(S3_FILE, 'utf8').split('\n').filter(Boolean);
const header = () => all()[0]!;
const records = () => all().slice(1);
/** The records moved k hours later, so files do not overlap by accident. */
const shifted = (k: number) => records().map((l) => l.replace(/ (\d{10}) (\d{10}) /, (_, a, b) => ` ${Number(a) + k * 3600} ${Number(b) + k * 3600} `));

function writeSet(dir: string): { a: string; b: string; c: string; d: string; bLines: string[] } {
  const r = records();
  const a = join(dir, 'a.log');
  writeFileSync(a, [header(), ...r.slice(0, 100)].join('\n') + '\n');
  // b: the rest, 10 records of a again (overlap), a blank line and a bad line; gzip
  const bLines = [header(), ...r.slice(100, 150), '', r[0]!.replace(/ 6 /, ' x6 '), ...r.slice(150), ...r.slice(0, 10)];
  const b = join(dir, 'b.log.gz');
  writeFileSync(b, gzipSync(bLines.join('\n') + '\n'));
  const c = join(dir, 'c.log');
  writeFileSync(c, [header(), ...shifted(5), header(), ...shifted(6).slice(0, 20)].join('\n') + '\n');
  const d = join(dir, 'd.log');
  writeFileSync(d, readFileSync(a));
  return { a, b, c, d, bLines };
}

describe('batches of small flow-log files', () => {
  it('one transaction for several files; every line accounted per file; overlap between files of the batch; same content skipped', async () => {
    const dir = tmp();
    const { bLines } = writeSet(dir);
    await withCase(async (db) => {
      const s = await ingest(db, [dir]);
      expect(s.files.map((f) => [f.path.slice(dir.length), f.outcome, f.records, f.quarantined])).toEqual([
        ['/a.log', 'imported', 100, 0],
        ['/b.log.gz', 'imported', 114, 1],
        ['/c.log', 'imported', 234, 0],
        ['/d.log', 'duplicate', 0, 0],
      ]);
      const src = await sources(db);
      expect(src.map((x) => [x.lines_read, x.header_lines, x.blank_lines, x.overlap_records])).toEqual([
        [101, 1, 0, 0],
        [bLines.length, 1, 1, 10],
        [236, 2, 0, 0],
      ]);
      // a, b and c were written in one transaction (DuckDB's now() is the transaction's start)
      const at = await db.all<{ t: string }>('SELECT DISTINCT imported_at::VARCHAR AS t FROM sources');
      expect(at).toHaveLength(1);
      // line numbers match grep -n in every file of the batch
      const bad = await db.one<{ line: number; file: string; reason: string }>('SELECT line, file, reason FROM quarantine');
      expect(bad!.file.endsWith('b.log.gz')).toBe(true);
      expect(bad!.line).toBe(bLines.indexOf(records()[0]!.replace(/ 6 /, ' x6 ')) + 1);
      expect(bad!.reason).toMatch(/^field protocol is not a whole number/);
      for (const [name, probe] of [['a.log', records()[57]!], ['c.log', shifted(6)[3]!], ['c.log', shifted(5)[213]!]] as const) {
        const grep = execFileSync('grep', ['-n', '-F', '-x', probe, join(dir, name)], { encoding: 'utf8' }).split('\n')[0]!;
        const f = probe.split(' ');
        const row = await db.one<{ line: number; path: string }>(
          'SELECT v.line, s.path FROM vpc_flows v JOIN sources s USING (source_id) WHERE v.srcaddr = $s AND v.dstaddr = $d AND v.start_time = $t AND v.bytes = $b AND v.srcport = $p',
          { s: f[3]!, d: f[4]!, t: Number(f[10]), b: Number(f[9]), p: Number(f[5]) },
        );
        expect(row!.path.endsWith(name)).toBe(true);
        expect(row!.line, probe).toBe(Number(grep.split(':')[0]));
      }
      const bRow = await db.one<{ line: number }>(
        "SELECT line FROM vpc_flows WHERE source_id = 2 ORDER BY line DESC LIMIT 1",
      );
      expect(bRow!.line).toBe(bLines.length - 10);
    });
  });

  it('a cancel while a batch is written rolls back the whole batch; earlier imports stay; the same files import afterwards', async () => {
    const dir = tmp();
    writeSet(dir);
    const first = tmp();
    writeFileSync(join(first, 'early.log'), [header(), ...shifted(40)].join('\n') + '\n');
    await withCase(async (db) => {
      await ingest(db, [first]);
      const controller = new AbortController();
      const s = await ingestPaths(db, [dir], {}, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === 'writing') controller.abort();
        },
      });
      expect(s.cancelled).toBe(true);
      // a, b and c form the batch; d (same content as a) may already be read alongside: cancelled too
      expect(s.files.slice(0, 3).map((f) => [f.path.slice(dir.length), f.outcome])).toEqual([
        ['/a.log', 'cancelled'],
        ['/b.log.gz', 'cancelled'],
        ['/c.log', 'cancelled'],
      ]);
      expect(s.files.every((f) => f.outcome === 'cancelled')).toBe(true);
      expect((await sources(db)).map((x) => x.path.slice(first.length))).toEqual(['/early.log']);
      expect((await db.one<{ n: number }>('SELECT count(*) AS n FROM vpc_flows'))!.n).toBe(214);
      expect((await db.one<{ n: number }>('SELECT count(*) AS n FROM quarantine'))!.n).toBe(0);
      const again = await ingest(db, [dir]);
      expect(again.files.map((f) => f.outcome)).toEqual(['imported', 'imported', 'imported', 'duplicate']);
      expect(again.records).toBe(100 + 114 + 234);
      await expectAccounting(db);
    });
  });

  it('a file the batch reader cannot take (invalid UTF-8) sends the batch file by file, with the same results', async () => {
    const dir = tmp();
    writeSet(dir);
    const lines = [header(), ...shifted(9).slice(0, 30)].map((l) => Buffer.from(l));
    lines.splice(5, 0, Buffer.from([0xff, 0xfe, 0x41]));
    writeFileSync(join(dir, 'b2.log'), Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
    await withCase(async (db) => {
      const s = await ingest(db, [dir]);
      expect(s.files.map((f) => [f.path.slice(dir.length), f.outcome, f.records, f.quarantined])).toEqual([
        ['/a.log', 'imported', 100, 0],
        ['/b.log.gz', 'imported', 114, 1],
        ['/b2.log', 'imported', 30, 1],
        ['/c.log', 'imported', 234, 0],
        ['/d.log', 'duplicate', 0, 0],
      ]);
      const q = await db.one<{ line: number; reason: string }>("SELECT line, reason FROM quarantine WHERE file LIKE '%b2.log'");
      expect(q).toMatchObject({ line: 6 });
      expect(q!.reason).toMatch(/^not valid UTF-8/);
    });
  });
});
