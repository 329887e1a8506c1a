/**
 * CSV / TSV text for the clipboard. Quoting follows RFC 4180 for both separators (a field with the
 * separator, a quote, CR or LF is wrapped in quotes and its quotes doubled), which is what spreadsheets
 * accept on paste. Text that a spreadsheet would run as a formula gets a leading apostrophe: the
 * values come from log files an attacker may have written.
 */
export type Separator = ',' | '\t';

export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v);
}

function defuseFormula(s: string): string {
  if (s.length > 1 && /^[=+\-@\t\r]/.test(s) && !/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(s)) return `'${s}`;
  return s;
}

export function quoteField(v: unknown, sep: Separator): string {
  const s = defuseFormula(cellText(v));
  if (s.includes(sep) || s.includes('"') || s.includes('\n') || s.includes('\r')) return `"${s.replaceAll('"', '""')}"`;
  return s;
}

/** Header line plus one line per row, CRLF-terminated (RFC 4180). */
export function toDelimited(columns: readonly string[], rows: readonly (readonly unknown[])[], sep: Separator): string {
  const line = (cells: readonly unknown[]) => cells.map((c) => quoteField(c, sep)).join(sep);
  return [line(columns), ...rows.map(line)].join('\r\n') + '\r\n';
}
