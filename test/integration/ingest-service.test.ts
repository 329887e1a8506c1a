import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ingestPaths } from '../../src-main/engine/ingest/service.ts';
import type { IngestProgress } from '../../src-main/shared/domain.ts';
import { cleanTmp, expectAccounting, FIX, ingest, sources, tmp, withCase } from './ingest-helpers.ts';

afterEach(cleanTmp);

const S3_FILE = join(FIX, 'real-world/lynfaina-secure-iot-cloud/vpcflowlogs.log');
const EXPORT_DIR = join(FIX, 'real-world/drewpypro-aws-eks-drewpy/cwlogs-export-task');
const s3Lines = () => readFileSync(S3_FILE, 'utf8').split('\n').filter(Boolean);

function exportText(): string {
  const task = join(EXPORT_DIR, readdirSync(EXPORT_DIR)[0]!);
  return readdirSync(task)
    .sort()
    .map((s) => gunzipSync(readFileSync(join(task, s, '000000.gz'))).toString('utf8'))
    .join('');
}

describe('line accounting with injected corruption', () => {
  it('junk bytes, bad numbers, bad timestamps, blank lines: clear reasons, import continues', async () => {
    const dir = tmp();
    const lines = s3Lines().map((l) => Buffer.from(l));
    const record = lines[5]!.toString().split(' ');
    const withField = (i: number, v: string) => Buffer.from(record.map((x, j) => (j === i ? v : x)).join(' '));
    const now = Math.floor(Date.now() / 1000);
    const injected: [number, Buffer, RegExp][] = [
      [10, Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x9c, 0x20, 0x01]), /^not valid UTF-8 text \(binary or corrupted bytes\)/],
      [15, Buffer.from('2 123 eni-1 1.2.3.4 5.6.7.8 1 2 6 1 1 1764302529 1764302567 ACCEPT \u0000\u0007'), /^contains binary or non-text bytes/],
      [20, withField(9, '12ab'), /^field bytes is not a whole number: "12ab"$/],
      [30, withField(10, '164000066'), /^start 164000066 \(1975-03-14\) is before 2010/],
      [40, withField(11, String(Number(record[10]) - 100)), /^end \d+ is before start \d+$/],
      [50, withField(11, String(now + 30 * 86400)), /^end \d+ \(.*\) is in the future$/],
      [60, withField(5, '99999999999'), /^field srcport is not a whole number \(32-bit\): "99999999999"$/],
      [70, Buffer.from(record.slice(0, 12).join(' ')), /^expected 14 fields, found 12$/],
    ];
    const out: Buffer[] = [...lines];
    for (const [at, buf] of injected) out.splice(at - 1, 0, buf);
    out.splice(100, 0, Buffer.from(''), Buffer.from('   '));
    const file = join(dir, 'corrupt.log');
    writeFileSync(file, Buffer.concat(out.flatMap((b) => [b, Buffer.from('\n')])));
    await withCase(async (db) => {
      const s = await ingest(db, [file]);
      expect(s.files[0]).toMatchObject({ outcome: 'imported', records: 214 - 0, quarantined: injected.length });
      const [src] = await sources(db);
      expect(src).toMatchObject({ lines_read: out.length, header_lines: 1, blank_lines: 2, quarantined: injected.length, records: 214 });
      const q = await db.all<{ line: number; reason: string }>('SELECT line, reason FROM quarantine ORDER BY line');
      expect(q.map((r) => r.line)).toEqual(injected.map(([at]) => at));
      q.forEach((r, i) => expect(r.reason).toMatch(injected[i]![2]));
    });
  });

  it('line numbers match grep -n, also after junk and blank lines', async () => {
    const dir = tmp();
    const lines = s3Lines();
    const body = [...lines.slice(0, 50), '', '\u0001\u0002 junk', ...lines.slice(50)];
    const file = join(dir, 'numbered.log');
    writeFileSync(file, body.join('\n') + '\n');
    await withCase(async (db) => {
      await ingest(db, [file]);
      for (const probe of [lines[1]!, lines[49]!, lines[50]!, lines[200]!, lines[lines.length - 1]!]) {
        const grep = execFileSync('grep', ['-n', '-F', '-x', probe, file], { encoding: 'utf8' }).split('\n')[0]!;
        const expected = Number(grep.split(':')[0]);
        const f = probe.split(' ');
        const row = await db.one<{ line: number }>('SELECT line FROM vpc_flows WHERE srcaddr = $s AND dstaddr = $d AND start_time = $t AND bytes = $b ORDER BY line LIMIT 1', {
          s: f[3]!, d: f[4]!, t: Number(f[10]), b: Number(f[9]),
        });
        expect(row?.line, probe).toBe(expected);
      }
      const junk = await db.one<{ line: number }>("SELECT line FROM quarantine");
      expect(junk!.line).toBe(52);
    });
  });

  it('truncated gzip: every complete line before the damage, one quarantine row, status partial', async () => {
    const dir = tmp();
    const text = exportText();
    const gz = gzipSync(Buffer.from(text));
    const cut = gz.subarray(0, Math.floor(gz.length * 0.6));
    const file = join(dir, 'cut.log.gz');
    writeFileSync(file, cut);
    const prefix = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
    const complete = prefix.slice(0, prefix.lastIndexOf('\n') + 1).split('\n').filter(Boolean).length;
    await withCase(async (db) => {
      const s = await ingest(db, [file]);
      expect(s.files[0]).toMatchObject({ outcome: 'imported', records: complete, quarantined: 1 });
      const [src] = await sources(db);
      expect(src!.status).toBe('partial');
      const q = await db.one<{ line: number; reason: string; raw: string }>('SELECT line, reason, raw FROM quarantine');
      expect(q!.line).toBe(complete + 1);
      expect(q!.reason).toMatch(/^the gzip file is truncated or damaged at byte \d+/);
      expect(text.startsWith(prefix.slice(0, prefix.lastIndexOf('\n') + 1) + q!.raw)).toBe(true);
    });
  });

  it('gzip is recognised by content, not by name; dotfiles are skipped; folders are walked', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'a/b'), { recursive: true });
    writeFileSync(join(dir, 'a/b/no-suffix'), gzipSync(readFileSync(S3_FILE)));
    writeFileSync(join(dir, 'a/plain-but-named.gz'), readFileSync(join(FIX, 'otel-collector-contrib-awslogs/valid_vpc_flow_log_multi.log')));
    writeFileSync(join(dir, 'a/.DS_Store'), Buffer.from([0, 0, 0, 1, 66, 117, 100, 49]));
    mkdirSync(join(dir, '.hidden'));
    writeFileSync(join(dir, '.hidden/x.log'), 'junk\n');
    await withCase(async (db) => {
      const s = await ingest(db, [dir]);
      expect(s.files.map((f) => [f.path.slice(dir.length), f.records])).toEqual([
        ['/a/b/no-suffix', 214],
        ['/a/plain-but-named.gz', 2],
      ]);
    });
  });

  it('CRLF line endings and an empty file', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'crlf.log'), s3Lines().join('\r\n') + '\r\n');
    writeFileSync(join(dir, 'empty.log'), '');
    await withCase(async (db) => {
      const s = await ingest(db, [dir]);
      expect(s.files.find((f) => f.path.endsWith('crlf.log'))).toMatchObject({ records: 214, quarantined: 0 });
      expect(s.files.find((f) => f.path.endsWith('empty.log'))).toMatchObject({ kind: 'unknown', records: 0, quarantined: 0, message: 'the file is empty' });
    });
  });

  it('unknown files are reported and quarantined, never a crash', async () => {
    const dir = tmp();
    copyFileSync(join(FIX, 'real-world/drewpypro-aws-eks-drewpy/tests-1-3-2025-vpcflowlogs.excel.csv.gz'), join(dir, 'excel.csv.gz'));
    writeFileSync(join(dir, 'random.bin'), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256)));
    await withCase(async (db) => {
      const s = await ingest(db, [dir]);
      const excel = s.files.find((f) => f.path.endsWith('excel.csv.gz'))!;
      expect(excel).toMatchObject({ kind: 'unknown', outcome: 'imported', records: 0, quarantined: 14553 });
      const reason = await db.one<{ reason: string }>("SELECT DISTINCT reason FROM quarantine WHERE file LIKE '%excel.csv.gz'");
      expect(reason!.reason).toMatch(/^not imported: a comma-separated spreadsheet export, not a flow log/);
      const bin = s.files.find((f) => f.path.endsWith('random.bin'))!;
      expect(bin).toMatchObject({ kind: 'unknown', quarantined: 1 });
      const q = await db.one<{ line: number | null; reason: string }>("SELECT line, reason FROM quarantine WHERE file LIKE '%random.bin'");
      expect(q).toMatchObject({ line: null });
      expect(q!.reason).toMatch(/binary content/);
    });
  });
});

describe('duplicates and overlapping exports', () => {
  it('a file already in the case (same content, any name) is skipped and reported', async () => {
    const dir = tmp();
    copyFileSync(S3_FILE, join(dir, 'copy.log'));
    await withCase(async (db) => {
      await ingest(db, [S3_FILE]);
      const s = await ingest(db, [S3_FILE, join(dir, 'copy.log')]);
      expect(s.duplicates).toBe(2);
      expect(s.files.map((f) => f.outcome)).toEqual(['duplicate', 'duplicate']);
      expect(s.files[1]!.message).toContain('same content as');
      expect((await db.one<{ n: number }>('SELECT count(*) AS n FROM vpc_flows'))!.n).toBe(214);
      expect((await sources(db)).length).toBe(1);
    });
  });

  it('the S3 file and a CloudWatch export of the same records do not double-count', async () => {
    const dir = tmp();
    const records = s3Lines().slice(1);
    const cw = records.map((l, i) => `${new Date(Date.UTC(2025, 10, 28, 4, 0, i)).toISOString()} ${l}`);
    writeFileSync(join(dir, '000000'), cw.join('\n') + '\n');
    await withCase(async (db) => {
      await ingest(db, [S3_FILE]);
      const s = await ingest(db, [join(dir, '000000')]);
      expect(s.files[0]).toMatchObject({ records: 0, quarantined: 0 });
      const [, second] = await sources(db);
      expect(second).toMatchObject({ format: 'cwl-export', overlap_records: 214, records: 0 });
      const sum = await db.one<{ b: number; n: number }>('SELECT sum(bytes) AS b, count(*) AS n FROM vpc_flows');
      const want = records.reduce((a, l) => a + (Number(l.split(' ')[9]) || 0), 0);
      expect(sum).toEqual({ b: want, n: 214 });
    });
  });

  it('the real CloudWatch export task and the same records concatenated: imported once', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'vpcflowlogs.csv'), exportText());
    await withCase(async (db) => {
      await ingest(db, [EXPORT_DIR]);
      const s = await ingest(db, [join(dir, 'vpcflowlogs.csv')]);
      expect(s.files[0]).toMatchObject({ records: 0, quarantined: 0 });
      expect((await sources(db)).at(-1)!.overlap_records).toBe(23455);
      expect((await db.one<{ n: number }>('SELECT count(*) AS n FROM vpc_flows'))!.n).toBe(23455);
    });
  });
});

describe('real CloudWatch Logs export task', () => {
  it('imports all 23,455 records incl. 96 NODATA and 109 SKIPDATA, with stream and event time', async () => {
    await withCase(async (db) => {
      const s = await ingest(db, [EXPORT_DIR]);
      expect(s.files).toHaveLength(12);
      expect(s).toMatchObject({ records: 23455, quarantined: 0 });
      const st = await db.all<{ log_status: string; n: number }>('SELECT log_status, count(*) AS n FROM vpc_flows GROUP BY 1 ORDER BY 1');
      expect(st).toEqual([
        { log_status: 'NODATA', n: 96 },
        { log_status: 'OK', n: 23250 },
        { log_status: 'SKIPDATA', n: 109 },
      ]);
      const r = await db.one<{ streams: number; no_ts: number; stream: string; match: number }>(
        `SELECT count(DISTINCT log_stream) AS streams, count(*) FILTER (event_ts IS NULL) AS no_ts, min(log_stream) AS stream,
           count(*) FILTER (log_stream = interface_id || '-all') AS match FROM vpc_flows`,
      );
      expect(r).toEqual({ streams: 12, no_ts: 0, stream: 'eni-03a5ba858714a7dbe-all', match: 23455 });
      expect((await sources(db)).every((x) => x.format === 'cwl-export' && x.kind === 'vpc_flows')).toBe(true);
    });
  });
});

describe('CloudWatch JSON containers and Parquet', () => {
  it('filter-log-events pages pasted one after another, and get-log-events', async () => {
    const dir = tmp();
    const records = s3Lines().slice(1);
    const ev = (l: string, i: number) => ({ logStreamName: 'eni-0f1e2d3c4b5a69788', timestamp: 1764302499000 + i, message: l, ingestionTime: 1764302500000, eventId: String(i) });
    const page1 = { events: records.slice(0, 100).map(ev), searchedLogStreams: [], nextToken: 'abc' };
    const page2 = { events: records.slice(100).map((l, i) => ev(l, i + 100)) };
    writeFileSync(join(dir, 'pages.json'), JSON.stringify(page1, null, 4) + '\n' + JSON.stringify(page2, null, 2) + '\n');
    // get-log-events of the same stream: the same records again, so they count as overlap
    writeFileSync(join(dir, 'get.json'), JSON.stringify({ events: records.slice(0, 10).map((l, i) => ({ timestamp: i, message: l, ingestionTime: 1 })), nextForwardToken: 'f/1' }));
    await withCase(async (db) => {
      const s = await ingest(db, [join(dir, 'pages.json'), join(dir, 'get.json')]);
      expect(s.files.map((f) => [f.records, f.quarantined])).toEqual([
        [214, 0],
        [0, 0],
      ]);
      expect((await sources(db))[1]!.overlap_records).toBe(10);
      const r = await db.one<{ lines: number; stream: string; ts: string }>('SELECT max(line) AS lines, min(log_stream) AS stream, min(event_ts) AS ts FROM vpc_flows WHERE source_id = 1');
      expect(r).toEqual({ lines: 214, stream: 'eni-0f1e2d3c4b5a69788', ts: new Date(1764302499000).toISOString() });
      expect((await sources(db)).map((x) => x.format)).toEqual(['cwl-events', 'cwl-events']);
    });
  });

  it('wrong JSON shapes inside a container are quarantined item by item', async () => {
    const dir = tmp();
    const records = s3Lines().slice(1, 4);
    writeFileSync(
      join(dir, 'mixed.json'),
      JSON.stringify({ events: [{ timestamp: 1, message: records[0] }, { timestamp: 2 }, 'text', { timestamp: 3, message: records[1] }] }),
    );
    await withCase(async (db) => {
      const s = await ingest(db, [join(dir, 'mixed.json')]);
      expect(s.files[0]).toMatchObject({ records: 2, quarantined: 2 });
      const q = await db.all<{ line: number; reason: string }>('SELECT line, reason FROM quarantine ORDER BY line');
      expect(q).toEqual([
        { line: 2, reason: 'JSON item has no "message" text (expected a CloudWatch Logs event)' },
        { line: 3, reason: 'JSON item is not an object (expected a CloudWatch Logs event)' },
      ]);
    });
  });

  it('Parquet delivery: columns mapped by name, same values as text', async () => {
    const dir = tmp();
    await withCase(async (db) => {
      await ingest(db, [S3_FILE]);
      await db.run(`COPY (SELECT version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start_time AS start, end_time AS "end", action, log_status
                         FROM vpc_flows ORDER BY line) TO '${join(dir, 'flows.log.parquet')}' (FORMAT parquet)`);
      await db.run(`COPY (SELECT version, account_id AS "account-id", interface_id AS "interface-id", srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start_time AS start, end_time AS "end", action, log_status AS "log-status", 'x' AS "next-hop-type"
                         FROM vpc_flows ORDER BY line LIMIT 5) TO '${join(dir, 'hyphen.parquet')}' (FORMAT parquet)`);
    });
    await withCase(async (db) => {
      const h = await ingest(db, [join(dir, 'hyphen.parquet')]);
      expect(h.files[0]).toMatchObject({ kind: 'vpc_flows', records: 5, quarantined: 0 });
      const x = await db.one<{ e: string; a: string }>('SELECT to_json(extra)::VARCHAR AS e, account_id AS a FROM vpc_flows LIMIT 1');
      expect(JSON.parse(x!.e)).toEqual({ 'next-hop-type': 'x' });
      expect(x!.a).toBe('381492071743');
    });
    await withCase(async (db) => {
      const s = await ingest(db, [join(dir, 'flows.log.parquet'), join(dir, 'hyphen.parquet')]);
      expect(s.files.map((f) => [f.kind, f.records, f.quarantined])).toEqual([
        ['vpc_flows', 214, 0],
        ['vpc_flows', 0, 0],
      ]);
      const [a] = await sources(db);
      expect(a!.format).toBe('parquet');
      const lines = s3Lines();
      const row = await db.one<Record<string, unknown>>('SELECT account_id, srcaddr, bytes, action FROM vpc_flows WHERE source_id = 1 AND line = 7');
      const f = lines[7]!.split(' ');
      expect(row).toEqual({ account_id: f[1], srcaddr: f[3], bytes: Number(f[9]), action: f[12] });
      expect((await sources(db))[1]!.overlap_records).toBe(5);
    });
  });
});

describe('cancellation and progress', () => {
  it('a cancel mid-file leaves the case as it was before that file', async () => {
    const dir = tmp();
    const records = s3Lines().slice(1);
    const big: string[] = [s3Lines()[0]!];
    for (let k = 0; k < 1500; k++) for (const l of records) big.push(l.replace(/ (\d{10}) (\d{10}) /, (_, a, b) => ` ${Number(a) + k * 600} ${Number(b) + k * 600} `));
    writeFileSync(join(dir, 'b-big.log'), big.join('\n') + '\n');
    copyFileSync(S3_FILE, join(dir, 'a-small.log'));
    await withCase(async (db) => {
      const controller = new AbortController();
      const events: IngestProgress[] = [];
      const s = await ingestPaths(db, [dir], {}, {
        signal: controller.signal,
        onProgress: (p) => {
          events.push(p);
          // file 1 was parsed alongside file 0; abort once it is writing (file 0 has committed)
          if (p.fileIndex === 1 && p.phase === 'writing' && !controller.signal.aborted) setTimeout(() => controller.abort(), 20);
        },
      });
      expect(s.cancelled).toBe(true);
      expect(s.files.map((f) => f.outcome)).toEqual(['imported', 'cancelled']);
      expect((await sources(db)).map((x) => x.path.slice(dir.length))).toEqual(['/a-small.log']);
      expect((await db.one<{ n: number }>('SELECT count(*) AS n FROM vpc_flows'))!.n).toBe(214);
      expect((await db.one<{ n: number }>('SELECT count(*) AS n FROM quarantine'))!.n).toBe(0);
      await expectAccounting(db);
      expect(events[0]).toMatchObject({ fileIndex: 0, fileCount: 2, phase: 'scanning' });
      expect(events.some((e) => e.bytesTotal > 0 && e.bytesDone >= 0)).toBe(true);
      // the same file imports completely afterwards
      const again = await ingest(db, [join(dir, 'b-big.log')]);
      // its first copy of the records equals a-small.log: counted as overlap, not written twice
      expect(again.files[0]).toMatchObject({ outcome: 'imported', records: 214 * 1499 });
      expect((await sources(db)).at(-1)!.overlap_records).toBe(214);
      // numbering stays in file order across row groups and threads (321k lines)
      const sid = (await sources(db)).at(-1)!.source_id;
      for (const n of [300, 122_881, 200_000, big.length]) {
        const f = big[n - 1]!.split(' ');
        const row = await db.one('SELECT srcaddr, start_time, bytes FROM vpc_flows WHERE source_id = $sid AND line = $n', { sid, n });
        expect(row, `line ${n}`).toEqual({ srcaddr: f[3], start_time: Number(f[10]), bytes: f[9] === '-' ? null : Number(f[9]) });
      }
    });
  });
});

describe('DuckDB settings during an ingest', () => {
  it('are put back afterwards (checkpoint threshold, compression methods), and what was written reads back', async () => {
    await withCase(async (db) => {
      const settings = () =>
        db.all<{ name: string; value: string }>("SELECT name, value FROM duckdb_settings() WHERE name IN ('checkpoint_threshold', 'disabled_compression_methods') ORDER BY name");
      await db.run("SET disabled_compression_methods = 'chimp'");
      const before = await settings();
      const s = await ingest(db, [S3_FILE]);
      expect(s.files[0]).toMatchObject({ outcome: 'imported', quarantined: 0 });
      expect(await settings()).toEqual(before);
      expect(before.find((r) => r.name === 'disabled_compression_methods')?.value.toLowerCase()).toBe('chimp');
      const n = await db.one<{ n: number }>('SELECT count(*)::INTEGER AS n FROM vpc_flows WHERE srcaddr IS NOT NULL');
      expect(n?.n).toBe(s.files[0]!.records);
    });
  });
});
