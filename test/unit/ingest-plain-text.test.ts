/** PlainTextCheck (plain-text.ts): the verdict must not depend on where chunks are cut. */
import { describe, expect, it } from 'vitest';
import { PlainTextCheck } from '../../src-main/engine/ingest/plain-text.ts';

function verdictAllCuts<T>(text: Buffer, verdict: (c: PlainTextCheck) => T = (c) => c.plain as T): T[] {
  const out: T[] = [];
  for (let cut = 0; cut <= text.length; cut++) {
    const c = new PlainTextCheck();
    c.push(text.subarray(0, cut));
    c.push(text.subarray(cut));
    out.push(verdict(c));
  }
  return out;
}

describe('PlainTextCheck', () => {
  it('gives one verdict for every place a chunk boundary can fall', () => {
    const cases: [string | Buffer, boolean][] = [
      ['a b c\nd é f\n', true],
      ['a b c\nd é f', true],
      ['a  b c\n d e f \n', true],
      ['a b c\n\nd e f\n', false],
      ['\na b c\n', false],
      ['a b c\nd\te f\n', false],
      ['a b c\r\nd e f\r\n', false],
      ['a b\u0000c\n', false],
      [Buffer.from([0x61, 0x20, 0xc3, 0x0a]), false],
      [Buffer.from([0x61, 0x20, 0xe2, 0x82, 0xac, 0x0a, 0x62]), true],
      ['', false],
    ];
    for (const [text, plain] of cases) {
      const buf = typeof text === 'string' ? Buffer.from(text) : text;
      expect(new Set(verdictAllCuts(buf)), JSON.stringify(buf.toString('latin1'))).toEqual(new Set([plain]));
    }
  });

  it('counts the lines of a plain file, a last line without its newline too', () => {
    const cases: [string, number][] = [
      ['a b c\n', 1],
      ['a b c\nd e f\n', 2],
      ['a b c\nd e f', 2],
      ['h\n1 2\n3 4\n5 6\n', 4],
      ['one', 1],
    ];
    for (const [text, lines] of cases) {
      expect(new Set(verdictAllCuts(Buffer.from(text), (c) => c.lines)), JSON.stringify(text)).toEqual(new Set([lines]));
    }
  });
});
