/**
 * Redacted sharing: a NEW case file in which every address, account and resource identifier is
 * replaced by a consistent pseudonym (see pseudonym.ts), so a vendor or a colleague can analyse the
 * incident without learning the network.
 *
 * Steps: snapshot the case into a scratch file; rewrite every text column of every table (VARCHAR,
 * JSON, MAP and VARCHAR[] alike; a column of any other type holding text stops the export) by
 * joining on a table of (original, pseudonym) built from the column's distinct values; optionally
 * empty the raw-record tables and the notes; re-run analysis when records are kept and carry the
 * reviews over to the re-computed finding ids; copy the result into a fresh file written without
 * compression (so no pre-redaction bytes survive in free blocks and the byte scan below can see every
 * string); then check every text value, the catalog and finally the file's raw bytes for any original
 * identifier, and refuse (AppError 'leak-detected', naming table, column and row) if one remains.
 * Only then is the file renamed into place. The key exists only in memory.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { AppError } from '../../shared/result.ts';
import { runAnalysis } from '../analysis/run.ts';
import { type Conn, Db } from '../db/index.ts';
import { workRoot } from './files.ts';
import { lockHolder } from './lock.ts';
import { Pseudonymizer, tokensOf } from './pseudonym.ts';
import type { CaseSession } from './session.ts';

export interface RedactOptions {
  out: string;
  /** Keep the raw records (flows, events, quarantine, config snapshots). Default true. */
  keepRecords?: boolean;
  /** Keep notes and bookmarks, and the text of finding reviews. Default true. */
  keepNotes?: boolean;
}

export interface RedactResult {
  path: string;
  valuesRewritten: number;
  columnsRewritten: number;
  emptiedTables: string[];
  reanalyzed: boolean;
  findings: number | null;
}

/** Raw records: emptied by "drop records" (findings, rollups, tunnels, routes and metrics stay). */
export const RECORD_TABLES = ['vpc_flows', 'tgw_flows', 'vpn_events', 'bgp_events', 'quarantine', 'config_objects', 'conversations'];

interface Column {
  table: string;
  column: string;
  type: string;
}

type ColumnShape = 'text' | 'json' | 'map' | 'list';

function shapeOf(type: string): ColumnShape | null | 'unsupported' {
  const t = type.toUpperCase();
  if (t === 'VARCHAR') return 'text';
  if (t === 'JSON') return 'json';
  if (t === 'MAP(VARCHAR, VARCHAR)') return 'map';
  if (t === 'VARCHAR[]') return 'list';
  if (/VARCHAR|JSON|BLOB|STRUCT|UNION|MAP|\[\]/.test(t)) return 'unsupported';
  return null;
}

const q = (id: string) => `"${id.replace(/"/g, '""')}"`;

async function textColumns(c: Conn): Promise<Column[]> {
  const rows = await c.all<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM duckdb_columns()
     WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal ORDER BY table_name, column_index`,
  );
  const out: Column[] = [];
  for (const r of rows) {
    const shape = shapeOf(r.data_type);
    if (shape === 'unsupported') {
      throw new AppError('leak-detected', `Column ${r.table_name}.${r.column_name} has type ${r.data_type}, which redaction cannot rewrite; nothing was written.`);
    }
    if (shape) out.push({ table: r.table_name, column: r.column_name, type: r.data_type });
  }
  return out;
}

/** Distinct values of a text-holding column, as strings (MAP keys and values, list items). */
async function distinctValues(c: Conn, col: Column): Promise<string[]> {
  const t = q(col.table);
  const k = q(col.column);
  let sql: string;
  switch (shapeOf(col.type)) {
    case 'json':
      sql = `SELECT DISTINCT ${k}::VARCHAR AS v FROM ${t} WHERE ${k} IS NOT NULL`;
      break;
    case 'map':
      sql = `SELECT DISTINCT unnest(map_keys(${k})) AS v FROM ${t} UNION SELECT DISTINCT unnest(map_values(${k})) FROM ${t}`;
      break;
    case 'list':
      sql = `SELECT DISTINCT unnest(${k}) AS v FROM ${t}`;
      break;
    default:
      sql = `SELECT DISTINCT ${k} AS v FROM ${t} WHERE ${k} IS NOT NULL`;
  }
  const rows = await c.all<{ v: unknown }>(sql);
  return rows.map((r) => r.v).filter((v): v is string => typeof v === 'string');
}

/** Free-form names an organisation chose (see Pseudonymizer.name), and ARNs that carry them. */
const NAME_COLUMN = /^(ecs_cluster_name|ecs_service_name|ecs_container_name)$/;
const ARN_COLUMN = /_arn$/;

/** Paths of the user's machine: only the file name goes into a shared file. */
const PATH_COLUMNS = new Set(['sources.path', 'quarantine.file']);
const baseOf = (p: string): string => {
  const s = p.replace(/[\\/]+$/, '');
  const i = Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\'));
  return i >= 0 ? s.slice(i + 1) : s;
};

async function rewriteColumn(c: Conn, col: Column, p: Pseudonymizer): Promise<number> {
  const values = await distinctValues(c, col);
  const isPath = PATH_COLUMNS.has(`${col.table}.${col.column}`);
  const isAsPath = /^(as_path|previous_as_path)$/.test(col.column);
  const isJson = shapeOf(col.type) === 'json';
  const pairs: [string, string][] = [];
  for (const v of values) {
    const nv = isJson
      ? p.json(v)
      : isAsPath
        ? p.asPath(v)
        : NAME_COLUMN.test(col.column)
          ? p.name(v)
          : ARN_COLUMN.test(col.column)
            ? p.arn(v)
            : p.rewrite(isPath ? baseOf(v) : v);
    if (nv !== v) pairs.push([v, nv]);
  }
  if (pairs.length === 0) return 0;
  await c.run('CREATE OR REPLACE TEMP TABLE _redact_map (old VARCHAR, new VARCHAR)');
  for (let i = 0; i < pairs.length; i += 20_000) {
    const chunk = pairs.slice(i, i + 20_000);
    await c.run(`INSERT INTO _redact_map SELECT unnest(from_json($o, '["VARCHAR"]')), unnest(from_json($n, '["VARCHAR"]'))`, {
      o: JSON.stringify(chunk.map((x) => x[0])),
      n: JSON.stringify(chunk.map((x) => x[1])),
    });
  }
  const t = q(col.table);
  const k = q(col.column);
  switch (shapeOf(col.type)) {
    case 'json':
      await c.run(`UPDATE ${t} SET ${k} = m.new::JSON FROM _redact_map m WHERE ${t}.${k}::VARCHAR = m.old`);
      break;
    case 'map':
    case 'list': {
      await c.run('SET VARIABLE _redact = (SELECT map(list(old), list(new)) FROM _redact_map)');
      const sub = (x: string) => `coalesce(getvariable('_redact')[${x}], ${x})`;
      const expr =
        shapeOf(col.type) === 'map'
          ? `map_from_entries(list_transform(map_entries(${k}), e -> {'key': ${sub('e.key')}, 'value': ${sub('e.value')}}))`
          : `list_transform(${k}, x -> ${sub('x')})`;
      await c.run(`UPDATE ${t} SET ${k} = ${expr} WHERE ${k} IS NOT NULL`);
      await c.run('RESET VARIABLE _redact');
      break;
    }
    default:
      await c.run(`UPDATE ${t} SET ${k} = m.new FROM _redact_map m WHERE ${t}.${k} = m.old`);
  }
  await c.run('DROP TABLE _redact_map');
  return pairs.length;
}

const canon = (v: unknown): string => {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  return `{${Object.keys(v as object)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
};

/**
 * After re-analysis the findings have new ids (they hash the pseudonymised subject). Reviews, notes
 * and the view follow their finding: matched on kind, start and subject.
 */
async function carryOverFindingIds(c: Conn, before: { id: string; key: string }[]): Promise<void> {
  const after = await c.all<{ id: string; kind: string; start: string; subject: string | null }>(
    'SELECT finding_id AS id, kind, start_ts::VARCHAR AS start, subject::VARCHAR AS subject FROM findings',
  );
  const byKey = new Map(after.map((f) => [`${f.kind}|${f.start}|${canon(JSON.parse(f.subject ?? '{}'))}`, f.id]));
  for (const b of before) {
    const next = byKey.get(b.key);
    if (!next || next === b.id) continue;
    await c.run('UPDATE finding_reviews SET finding_id = $n WHERE finding_id = $o', { o: b.id, n: next });
    await c.run("UPDATE annotations SET target_key = $n, target = replace(target::VARCHAR, $o, $n)::JSON WHERE target_type = 'finding' AND target_key = $o", { o: b.id, n: next });
    await c.run('UPDATE view_state SET state = replace(state::VARCHAR, $o, $n)::JSON', { o: b.id, n: next });
  }
}

async function findingKeys(c: Conn): Promise<{ id: string; key: string }[]> {
  const rows = await c.all<{ id: string; kind: string; start: string; subject: string | null }>(
    'SELECT finding_id AS id, kind, start_ts::VARCHAR AS start, subject::VARCHAR AS subject FROM findings',
  );
  return rows.map((f) => ({ id: f.id, key: `${f.kind}|${f.start}|${canon(JSON.parse(f.subject ?? '{}'))}` }));
}

/** Conversation notes follow their conversation (same endpoints, ports and first record) after re-analysis. */
async function carryOverConversationIds(c: Conn, before: Map<string, string>): Promise<void> {
  if (before.size === 0) return;
  const after = await c.all<{ id: string; key: string }>(
    "SELECT conv_id AS id, concat_ws('|', protocol, client, client_port, server, server_port, first_seen) AS key FROM conversations",
  );
  const byKey = new Map(after.map((r) => [r.key, r.id]));
  for (const [oldId, key] of before) {
    const next = byKey.get(key);
    if (!next || next === oldId) continue;
    await c.run("UPDATE annotations SET target_key = $n, target = replace(target::VARCHAR, $o, $n)::JSON WHERE target_type = 'conversation' AND target_key = $o", { o: oldId, n: next });
  }
}

/** Fails with 'leak-detected' naming where an original identifier (or a path) is still present. */
async function checkNoLeaks(db: Db, p: Pseudonymizer): Promise<void> {
  await db.use(async (c) => {
    for (const col of await textColumns(c)) {
      for (const v of await distinctValues(c, col)) {
        const leaked = p.leaks(v);
        if (leaked.length === 0) continue;
        let where = '';
        if (shapeOf(col.type) === 'text' || shapeOf(col.type) === 'json') {
          const r = await c.one<{ rowid: number }>(`SELECT rowid FROM ${q(col.table)} WHERE ${q(col.column)}::VARCHAR = $v LIMIT 1`, { v });
          if (r) where = `, row ${r.rowid}`;
        }
        throw new AppError(
          'leak-detected',
          `Redaction stopped: ${col.table}.${col.column}${where} still contains an original identifier (${leaked[0]!.slice(0, 3)}…). Nothing was written.`,
        );
      }
    }
    const catalog = await c.all<{ what: string; text: string | null }>(
      `SELECT 'table ' || table_name AS what, concat_ws(' ', sql, comment) AS text FROM duckdb_tables() WHERE database_name = current_database()
       UNION ALL SELECT 'view ' || view_name, concat_ws(' ', sql, comment) FROM duckdb_views() WHERE database_name = current_database() AND NOT internal
       UNION ALL SELECT 'column ' || table_name || '.' || column_name, comment FROM duckdb_columns() WHERE database_name = current_database() AND comment IS NOT NULL`,
    );
    for (const { what, text } of catalog) {
      if (text && p.leaks(text).length > 0) throw new AppError('leak-detected', `Redaction stopped: the definition of ${what} contains an original identifier. Nothing was written.`);
    }
  });
}

/** Scans the raw bytes of the output for any original identifier (strings are stored uncompressed). */
export function scanFileBytes(file: string, p: Pseudonymizer): { offset: number; token: string } | null {
  const size = statSync(file).size;
  const chunk = 8 << 20;
  const overlap = 256;
  const buf = Buffer.alloc(chunk + overlap);
  const fd = openSync(file, 'r');
  try {
    for (let pos = 0; pos < size; pos += chunk) {
      const n = readSync(fd, buf, 0, chunk + overlap, pos);
      const text = buf.subarray(0, n).toString('latin1');
      const last = pos + n >= size;
      for (const t of tokensOf(text)) {
        if (t.kind === 'path') continue; // binary noise can look like a path; paths are checked per value above
        if (pos > 0 && t.index === 0) continue; // may be the tail of a token seen whole in the previous chunk
        if (!last && t.index + t.length >= n) continue; // cut at the chunk end; seen whole in the next chunk
        if (p.originals.has(t.value) && !p.images.has(t.value)) return { offset: pos + t.index, token: t.value };
      }
    }
  } finally {
    closeSync(fd);
  }
  return null;
}

export async function redactCase(session: CaseSession, opts: RedactOptions): Promise<RedactResult> {
  const out = resolve(opts.out);
  const keepRecords = opts.keepRecords ?? true;
  const keepNotes = opts.keepNotes ?? true;
  if (session.path && out === resolve(session.path)) {
    throw new AppError('bad-argument', 'The redacted copy must be a new file, not the investigation itself.');
  }
  if (existsSync(out) && lockHolder(out)) throw new AppError('case-locked', `${basename(out)} is open in Tunnelscope; close it or choose another name.`);
  const scratchDir = mkdtempSync(join(workRoot(), 'tunnelscope-redact-'));
  const scratch = join(scratchDir, 'scratch.duckdb');
  const tmpOut = `${out}.tmp-${process.pid}`;
  const p = new Pseudonymizer(randomBytes(32));
  const result: RedactResult = { path: out, valuesRewritten: 0, columnsRewritten: 0, emptiedTables: [], reanalyzed: false, findings: null };
  try {
    await session.snapshot(scratch);
    const sdb = await Db.open(scratch);
    try {
      const dropped = new Set(keepRecords ? [] : RECORD_TABLES);
      if (!keepNotes) dropped.add('annotations');
      let beforeFindings: { id: string; key: string }[] = [];
      const beforeConvs = new Map<string, string>();
      await sdb.use(async (c) => {
        for (const col of await textColumns(c)) {
          if (dropped.has(col.table)) {
            // Not written, but its identifiers must be known to the leak check.
            for (const v of await distinctValues(c, col)) p.observe(v);
            continue;
          }
          const n = await rewriteColumn(c, col, p);
          if (n > 0) {
            result.valuesRewritten += n;
            result.columnsRewritten++;
          }
        }
        for (const t of dropped) {
          if (!(await c.hasTable(t))) continue;
          await c.run(`DELETE FROM ${q(t)}`);
          result.emptiedTables.push(t);
        }
        if (!keepNotes) await c.run("UPDATE finding_reviews SET note = ''");
        if (keepRecords && (await c.hasTable('findings'))) {
          beforeFindings = await findingKeys(c);
          const convNotes = await c.all<{ id: string; key: string | null }>(
            `SELECT a.target_key AS id, concat_ws('|', v.protocol, v.client, v.client_port, v.server, v.server_port, v.first_seen) AS key
             FROM annotations a JOIN conversations v ON v.conv_id = a.target_key WHERE a.target_type = 'conversation'`,
          );
          for (const r of convNotes) if (r.key) beforeConvs.set(r.id, r.key);
        }
      });
      if (keepRecords) {
        const r = await runAnalysis(sdb);
        result.reanalyzed = true;
        result.findings = r.findings.length;
        await sdb.use(async (c) => {
          await carryOverFindingIds(c, beforeFindings);
          await carryOverConversationIds(c, beforeConvs);
        });
      }
      // Readers (the UI, the report) say that this is a pseudonymised copy and what was left out.
      await sdb.run("INSERT OR REPLACE INTO meta VALUES ('redacted', $v)", {
        v: JSON.stringify({ at: new Date().toISOString(), records: keepRecords, notes: keepNotes }),
      });
      await sdb.run('CHECKPOINT');
    } finally {
      await sdb.close();
    }

    // A fresh file: no free blocks holding pre-redaction pages, strings stored as plain bytes.
    rmSync(tmpOut, { force: true });
    const copier = await Db.open(':memory:', { migrate: false });
    try {
      await copier.use(async (c) => {
        await c.run("SET force_compression = 'uncompressed'");
        await c.run(`ATTACH '${scratch.replace(/'/g, "''")}' AS redact_src (READ_ONLY)`);
        await c.run(`ATTACH '${tmpOut.replace(/'/g, "''")}' AS redact_out`);
        await c.run('COPY FROM DATABASE redact_src TO redact_out');
        await c.run('DETACH redact_out');
        await c.run('DETACH redact_src');
      });
    } finally {
      await copier.close();
    }
    rmSync(`${tmpOut}.wal`, { force: true });

    const check = await Db.open(tmpOut, { readOnly: true, migrate: false });
    try {
      await checkNoLeaks(check, p);
    } finally {
      await check.close();
    }
    const hit = scanFileBytes(tmpOut, p);
    if (hit) {
      throw new AppError('leak-detected', `Redaction stopped: an original identifier is still in the output file's bytes (offset ${hit.offset}). Nothing was written.`);
    }
    renameSync(tmpOut, out);
    return result;
  } catch (e) {
    rmSync(tmpOut, { force: true });
    rmSync(`${tmpOut}.wal`, { force: true });
    throw e;
  } finally {
    rmSync(scratchDir, { recursive: true, force: true });
  }
}
