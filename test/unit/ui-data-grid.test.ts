import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_SCROLL_PX, pagesFor, scrollTopForRow, virtualWindow, minTableWidth } from '../../src-renderer/lib/ui/virtual.ts';
import { PageCache } from '../../src-renderer/lib/ui/page-cache.ts';
import { quoteField, toDelimited } from '../../src-renderer/lib/ui/delimited.ts';

describe('virtual window math', () => {
  it('renders only the visible rows plus overscan', () => {
    const w = virtualWindow(2600, 520, 26, 1000, 5);
    expect(w.start).toBe(95);
    expect(w.end).toBe(100 + 21 + 5);
    expect(w.offsetY).toBe(95 * 26);
    expect(w.scrollHeight).toBe(26_000);
  });

  it('is empty for an empty table and clamps past the end', () => {
    expect(virtualWindow(0, 500, 26, 0)).toEqual({ start: 0, end: 0, offsetY: 0, scrollHeight: 0 });
    const w = virtualWindow(1e9, 520, 26, 1000, 0);
    expect(w.end).toBe(1000);
    expect(w.start).toBeGreaterThanOrEqual(1000 - 21);
  });

  it('compresses the scroll range for a million rows and still reaches the last row', () => {
    const total = 1_000_000;
    const rh = 26;
    const view = 520;
    const top = virtualWindow(0, view, rh, total, 0);
    expect(top.start).toBe(0);
    expect(top.scrollHeight).toBe(MAX_SCROLL_PX);
    const bottom = virtualWindow(MAX_SCROLL_PX - view, view, rh, total, 0);
    expect(bottom.end).toBe(total);
    // The last row sits exactly at the bottom edge of the viewport.
    expect(bottom.offsetY + (total - bottom.start) * rh).toBeCloseTo(MAX_SCROLL_PX, 3);
    // Middle of the scrollbar ≈ middle of the rows.
    const mid = virtualWindow((MAX_SCROLL_PX - view) / 2, view, rh, total, 0);
    expect(Math.abs(mid.start - total / 2)).toBeLessThan(30);
  });

  it('keeps the row under the top edge aligned with the viewport top (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5_000_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (total, frac) => {
        const rh = 24;
        const view = 480;
        const full = virtualWindow(0, view, rh, total, 0);
        const maxTop = Math.max(0, full.scrollHeight - view);
        const top = frac * maxTop;
        const w = virtualWindow(top, view, rh, total, 0);
        expect(w.start).toBeGreaterThanOrEqual(0);
        expect(w.end).toBeLessThanOrEqual(total);
        expect(w.end - w.start).toBeLessThanOrEqual(Math.ceil(view / rh) + 1);
        // The first rendered row starts at or above the viewport top, less than a row above it.
        expect(w.offsetY).toBeLessThanOrEqual(top + 1e-6);
        expect(top - w.offsetY).toBeLessThan(rh + 1e-6);
      }),
      { numRuns: 300 },
    );
  });

  it('scrollTopForRow is the inverse of the window mapping', () => {
    for (const total of [50, 10_000, 1_000_000]) {
      for (const row of [0, Math.floor(total / 3), total - 30]) {
        const top = scrollTopForRow(row, 520, 26, total);
        expect(virtualWindow(top, 520, 26, total, 0).start).toBe(row);
      }
    }
  });

  it('lists the pages a range needs', () => {
    expect(pagesFor(0, 0, 200)).toEqual([]);
    expect(pagesFor(0, 200, 200)).toEqual([0]);
    expect(pagesFor(199, 401, 200)).toEqual([0, 1, 2]);
  });

  it('sums pixel widths for the minimum table width', () => {
    expect(minTableWidth([{ key: 'a', label: 'A', width: '100px' }, { key: 'b', label: 'B', width: 'minmax(150px, 1fr)' }])).toBe(250);
  });
});

describe('PageCache', () => {
  const rows = Array.from({ length: 1050 }, (_, i) => i);
  function fetcher(log: number[], delay = 0) {
    return async (offset: number, limit: number) => {
      log.push(offset);
      if (delay) await new Promise((r) => setTimeout(r, delay));
      return { total: rows.length, rows: rows.slice(offset, offset + limit) };
    };
  }

  it('fetches each page once, serves rows and learns the total', async () => {
    const log: number[] = [];
    const c = new PageCache(fetcher(log), 100, 10);
    await Promise.all([c.ensure(0, 150), c.ensure(50, 120)]);
    expect(log).toEqual([0, 100]);
    expect(c.total).toBe(1050);
    expect(c.get(149)).toBe(149);
    expect(c.get(250)).toBeUndefined();
    await c.ensure(1000, 1100);
    expect(log).toEqual([0, 100, 1000]);
    expect(c.get(1049)).toBe(1049);
  });

  it('evicts least recently used pages beyond maxPages but keeps the ones in view', async () => {
    const log: number[] = [];
    const c = new PageCache(fetcher(log), 100, 3);
    await c.ensure(0, 100);
    await c.ensure(100, 200);
    await c.ensure(200, 300);
    await c.ensure(0, 100); // touch page 0
    await c.ensure(300, 400);
    expect(c.cachedPages.sort()).toEqual([0, 2, 3]);
    await c.ensure(0, 500); // more pages in view than maxPages: none of them is dropped
    expect(c.cachedPages.length).toBe(5);
  });

  it('drops answers to an outdated query after reset', async () => {
    const log: number[] = [];
    let changes = 0;
    const c = new PageCache(fetcher(log, 20), 100, 10, () => changes++);
    const old = c.ensure(0, 100);
    c.reset(async (offset, limit) => ({ total: 7, rows: Array.from({ length: Math.min(limit, 7) }, (_, i) => -(offset + i)) }));
    await old;
    expect(c.get(0)).toBeUndefined();
    await c.ensure(0, 100);
    expect(c.get(3)).toBe(-3);
    expect(c.total).toBe(7);
    expect(changes).toBeGreaterThan(0);
  });

  it('keeps the error message of a failed page and retries it later', async () => {
    let fail = true;
    const c = new PageCache(async () => {
      if (fail) throw new Error('The case is closed.');
      return { total: 1, rows: ['x'] };
    }, 100);
    await c.ensure(0, 10);
    expect(c.error?.message).toBe('The case is closed.');
    fail = false;
    await c.ensure(0, 10);
    expect(c.get(0)).toBe('x');
    expect(c.error).toBeNull();
  });
});

describe('CSV / TSV', () => {
  it('quotes separators, quotes and line breaks (RFC 4180)', () => {
    expect(quoteField('a,b', ',')).toBe('"a,b"');
    expect(quoteField('a,b', '\t')).toBe('a,b');
    expect(quoteField('say "hi"', ',')).toBe('"say ""hi"""');
    expect(quoteField('two\nlines', '\t')).toBe('"two\nlines"');
    expect(quoteField('tab\there', '\t')).toBe('"tab\there"');
    expect(quoteField(null, ',')).toBe('');
    expect(quoteField(42, ',')).toBe('42');
    expect(quoteField({ a: 1 }, ',')).toBe('"{""a"":1}"');
  });

  it('defuses spreadsheet formulas but keeps numbers and a lone dash', () => {
    expect(quoteField('=HYPERLINK("x")', ',')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(quoteField('@SUM(A1)', '\t')).toBe("'@SUM(A1)");
    expect(quoteField('-12.5', ',')).toBe('-12.5');
    expect(quoteField('-', ',')).toBe('-');
  });

  it('writes a header and CRLF-terminated rows', () => {
    expect(toDelimited(['src', 'bytes'], [['10.0.0.1', 5], ['a,b', null]], ',')).toBe('src,bytes\r\n10.0.0.1,5\r\n"a,b",\r\n');
  });

  it('round-trips through a strict CSV parser (property)', () => {
    const parse = (text: string, sep: string): string[][] => {
      const out: string[][] = [];
      let row: string[] = [];
      let cell = '';
      let q = false;
      for (let i = 0; i < text.length; i++) {
        const ch = text[i]!;
        if (q) {
          if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
          else if (ch === '"') q = false;
          else cell += ch;
        } else if (ch === '"') q = true;
        else if (ch === sep) row.push(cell), (cell = '');
        else if (ch === '\r' && text[i + 1] === '\n') row.push(cell), out.push(row), (row = []), (cell = ''), i++;
        else cell += ch;
      }
      return out;
    };
    const safe = fc.string().filter((s) => !/^[=+\-@\t\r]/.test(s));
    fc.assert(
      fc.property(fc.array(fc.array(safe, { minLength: 2, maxLength: 2 }), { maxLength: 5 }), fc.constantFrom(',' as const, '\t' as const), (rows, sep) => {
        expect(parse(toDelimited(['a', 'b'], rows, sep), sep)).toEqual([['a', 'b'], ...rows]);
      }),
    );
  });
});
