/**
 * The typed read (batch-fast.ts: read_csv with delim=' ' and explicit column types) must give
 * exactly what the line-level path gives (TSCOPE_INGEST_TYPED=0): rows, line numbers, header and
 * overlap counts, quarantine reasons and raw text.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src-main/engine/db/index.ts';
import { probeFile } from '../../src-main/engine/ingest/detect.ts';
import { DEFAULT_TGW_LAYOUT } from '../../src-main/engine/ingest/fields.ts';
import { cleanTmp, ingest, sources, tmp, withCase } from './ingest-helpers.ts';

afterEach(() => {
  delete process.env.TSCOPE_INGEST_TYPED;
  cleanTmp();
});

const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id tcp-flags';
const T0 = 1795145203;
const rec = (i: number, t = T0 + i) =>
  `5 012345678901 eni-0a${(i % 7).toString(16)} 10.0.${i % 5}.${i % 250} 172.16.0.${i % 9} ${1000 + i} 443 6 ${i + 1} ${(i + 1) * 60} ${t} ${t + 30} ${i % 3 ? 'ACCEPT' : 'REJECT'} OK vpc-1 ${i % 4}`;

function writeFiles(dir: string): string[] {
  const a = [HEADER, ...Array.from({ length: 40 }, (_, i) => rec(i))];
  a.splice(5, 0, rec(5).replace(' 443 ', ' 44x3 ')); // not a number
  a.splice(9, 0, rec(9).split(' ').slice(0, 12).join(' ')); // too few fields
  a.splice(12, 0, `${rec(12)} extra`); // too many fields
  a.splice(20, 0, HEADER); // header repeated (files concatenated)
  a.splice(22, 0, rec(22, 1100000000)); // before 2010
  a.splice(25, 0, rec(25).replace(` ${T0 + 25 + 30} `, ` ${T0 - 100} `)); // end before start
  a.splice(28, 0, rec(28, 4102444800)); // in the future
  a.splice(30, 0, '5 012345678901 eni-0a1 - - - - - - - 1795145300 1795145360 - NODATA - -'); // NODATA
  a.splice(31, 0, rec(31).replace(' 443 ', ' 4e2 ')); // read_csv refuses it, the line-level cast takes it
  const b = [HEADER, ...Array.from({ length: 30 }, (_, i) => rec(i + 40)), ...Array.from({ length: 5 }, (_, i) => rec(i))]; // overlaps a
  const c = [HEADER]; // header only
  const tgw = [DEFAULT_TGW_LAYOUT.join(' '), ...Array.from({ length: 12 }, (_, i) =>
    `6 TransitGateway 012345678901 tgw-1 tgw-attach-${i % 3} - 012345678901 - vpc-2 - subnet-1 - eni-1 - use1-az1 tgw-attach-9 10.0.0.${i} 10.1.0.1 ${2000 + i} 53 17 ${i + 1} ${(i + 1) * 80} ${T0 + i} ${T0 + i + 20} OK IPv4 0 0 ${i % 2} 0 0 us-east-1 egress - -`)];
  tgw.splice(4, 0, tgw[4]!.replace(' 53 ', ' - 53 '));
  // Stray spaces: trailing, leading, doubled (all still records), doubled on a line that lacks a
  // field (an empty text field for the reader), a line of spaces (blank).
  const e = [HEADER, `${rec(100)} `, ` ${rec(101)}`, rec(102).replace(' 443 ', '  443 '), rec(103).replace(' vpc-1', '').replace(' ACCEPT', '  ACCEPT'), '   ', rec(104)];
  const files = [
    ['a.log', a],
    ['b.log.gz', b],
    ['c.log', c],
    ['e.log', e],
    ['tgw.log', tgw],
  ] as const;
  return files.map(([name, lines]) => {
    const p = join(dir, name);
    const text = lines.join('\n') + '\n';
    writeFileSync(p, name.endsWith('.gz') ? gzipSync(text) : text);
    return p;
  });
}

async function snapshot(db: Db, dir: string): Promise<unknown> {
  const strip = (p: string) => p.slice(dir.length);
  return {
    sources: (await sources(db)).map((s) => ({ ...s, path: strip(s.path), imported_at: undefined })),
    vpc: (await db.all<{ path: string }>('SELECT s.path, v.* EXCLUDE (source_id) FROM vpc_flows v JOIN sources s USING (source_id) ORDER BY s.path, v.line')).map((r) => ({ ...r, path: strip(r.path) })),
    tgw: (await db.all<{ path: string }>('SELECT s.path, v.* EXCLUDE (source_id) FROM tgw_flows v JOIN sources s USING (source_id) ORDER BY s.path, v.line')).map((r) => ({ ...r, path: strip(r.path) })),
    quarantine: (await db.all<{ file: string }>('SELECT file, line, raw, reason FROM quarantine ORDER BY file, line')).map((q) => ({ ...q, file: strip(q.file) })),
  };
}

describe('typed read of plain flow-log text', () => {
  it('plain files are recognised; blank lines, tabs, CRs, NUL and invalid UTF-8 are not plain', async () => {
    const dir = tmp();
    const paths = writeFiles(dir);
    for (const p of paths.filter((x) => !x.endsWith('c.log'))) expect((await probeFile(p)).plainText, p).toBe(true);
    const cases: [string, boolean][] = [
      [`${HEADER}\n${rec(1)}\n`, true],
      [`${HEADER}\n${rec(1)}`, true],
      [`${HEADER}\n\n${rec(1)}\n`, false],
      [`\n${HEADER}\n${rec(1)}\n`, false],
      [`${HEADER}\n${rec(1)} \n`, true],
      [`${HEADER}\n ${rec(1)}\n`, true],
      [`${HEADER}\n${rec(1).replace(' ', '  ')}\n`, true],
      [`${HEADER}\n${rec(1)}\n\n`, false],
      [`${HEADER}\r\n${rec(1)}\r\n`, false],
      [`${HEADER}\n${rec(1).replace(' ', '\t')}\n`, false],
      [`${HEADER}\n${rec(1)}\u0000\n`, false],
      ['', false],
    ];
    for (const [i, [text, plain]] of cases.entries()) {
      const p = join(dir, `p${i}.log`);
      writeFileSync(p, text);
      expect((await probeFile(p)).plainText, JSON.stringify(text.slice(0, 40))).toBe(plain);
    }
    const bad = join(dir, 'latin1.log');
    writeFileSync(bad, Buffer.concat([Buffer.from(`${HEADER}\n`), Buffer.from([0x35, 0x20, 0xff, 0xfe, 0x0a])]));
    expect((await probeFile(bad)).plainText).toBe(false);
  });

  it('gives the same rows, line numbers, counts and quarantine as the line-level path', async () => {
    const dir = tmp();
    writeFiles(dir);
    const run = async (typed: boolean) => {
      process.env.TSCOPE_INGEST_TYPED = typed ? '1' : '0';
      return withCase(async (db) => {
        const s = await ingest(db, [dir]);
        return { summary: s.files.map((f) => ({ ...f, path: f.path.slice(dir.length) })), data: await snapshot(db, dir) };
      });
    };
    const typed = await run(true);
    const lines = await run(false);
    expect(typed).toEqual(lines);
    const data = typed.data as { sources: { path: string; lines_read: number; header_lines: number; overlap_records: number; quarantined: number }[]; quarantine: { line: number; reason: string; raw: string }[]; vpc: { path: string; line: number; srcport: number; dstport: number }[] };
    // The expected outcome, independently: a has 49 lines, 2 headers, 6 quarantined (3 refused by
    // the reader, 3 impossible times); b overlaps a on 5 records; c is a header alone.
    expect(data.sources.map((s) => [s.path, s.lines_read, s.header_lines, s.overlap_records, s.quarantined])).toEqual([
      ['/a.log', 50, 2, 0, 6],
      ['/b.log.gz', 36, 1, 5, 0],
      ['/c.log', 1, 1, 0, 0],
      ['/e.log', 7, 1, 0, 1],
      ['/tgw.log', 14, 1, 0, 1],
    ]);
    expect(data.quarantine.filter((q) => q.line !== null).map((q) => q.reason.replace(/[:(].*/, ''))).toEqual([
      'field dstport is not a whole number ',
      'expected 16 fields, found 12',
      'expected 16 fields, found 17',
      'start 1100000000 ',
      `end ${T0 - 100} is before start ${T0 + 25}`,
      'end 4102444830 ',
      'expected 16 fields, found 15',
      'expected 36 fields, found 37',
    ]);
    // line numbers are grep -n's
    const a = join(dir, 'a.log');
    for (const q of data.quarantine.slice(0, 6)) {
      expect(execFileSync('sed', ['-n', `${q.line}p`, a], { encoding: 'utf8' }).trimEnd()).toBe(q.raw);
    }
    const aRows = data.vpc.filter((v) => v.path === '/a.log');
    expect(aRows).toHaveLength(50 - 2 - 6);
    for (const r of aRows) {
      const line = execFileSync('sed', ['-n', `${r.line}p`, a], { encoding: 'utf8' });
      expect(line.split(' ')[5], `line ${r.line}`).toBe(r.srcport === null ? '-' : String(r.srcport));
    }
    expect(data.vpc.filter((v) => v.path === '/a.log' && v.srcport === 1031).map((v) => v.dstport)).toEqual([400, 443]);
  });
});
