/**
 * DuckDB hands back bigint, Date and DuckDB value objects; everything that leaves the engine must be
 * plain JSON. Integers stay numbers while they are exact; larger ones become strings.
 */
export function toPlain(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'bigint':
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
    case 'number':
      return Number.isFinite(v) ? v : null;
    case 'string':
    case 'boolean':
      return v;
    case 'object':
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
      if (Array.isArray(v)) return v.map(toPlain);
      if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
      {
        const proto = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null && typeof (v as { toString?: unknown }).toString === 'function') {
          return String(v);
        }
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = toPlain(x);
        return out;
      }
    default:
      return String(v);
  }
}

export function toPlainRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = toPlain(v);
  return out;
}
