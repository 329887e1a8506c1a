import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Db } from '../../src-main/engine/db/index.ts';
import { FORMAT_VERSION, migrations } from '../../src-main/engine/db/schema/index.ts';
import { workRoot } from '../../src-main/engine/case/files.ts';
import { CaseSession, caseFileInfo } from '../../src-main/engine/case/session.ts';
import type { ViewState } from '../../src-main/shared/domain.ts';
import { toErrorValue } from '../../src-main/shared/result.ts';

const dirs: string[] = [];
const sessions: CaseSession[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'tscope-case-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
async function track(p: Promise<CaseSession>): Promise<CaseSession> {
  const s = await p;
  sessions.push(s);
  return s;
}

const view: ViewState = {
  from: '2026-11-27T10:00:00.000Z',
  to: '2026-11-27T11:00:00.000Z',
  filter: { cidr: '10.0.0.0/16', port: 443, action: 'REJECT', path: '203.0.113.10' },
  replayAt: '2026-11-27T10:15:00.000Z',
  replaySpeed: 60,
  selectedFindingId: 'f-abc',
  timeZone: 'local',
};

async function fillState(s: CaseSession): Promise<void> {
  await s.addNote({ at: '2026-11-27T10:05:00Z', target: { type: 'range', from: '2026-11-27T10:05:00Z', to: '2026-11-27T10:09:00Z' }, text: 'tunnel 1 flaps', tags: ['flap', 'tunnel1'] });
  await s.addNote({ at: '2026-11-27T10:06:00Z', target: { type: 'tunnel', vpnId: 'vpn-0123456789abcdef0', tunnelIp: '203.0.113.10' }, text: 'DPD timeout here', tags: [] });
  await s.addNote({ at: '2026-11-27T10:07:00Z', target: { type: 'finding', findingId: 'f-abc' }, text: 'confirmed with the customer', tags: ['root-cause'] });
  await s.addNote({ at: '2026-11-27T10:08:00Z', target: { type: 'conversation', conversationId: 'c-1' }, text: "it's the \"SYN\" <b>only</b>", tags: [] });
  await s.addNote({ kind: 'bookmark', at: '2026-11-27T10:09:00Z', target: { type: 'record', table: 'vpc_flows', sourceId: 1, line: 42 }, text: 'first reject', tags: ['reject'] });
  await s.saveView(view);
  await s.setReview('f-abc', { status: 'confirmed', note: 'yes' });
  await s.setReview('f-def', { status: 'dismissed', note: 'expected during maintenance' });
  await s.saveQuery('rejects', "SELECT count(*) FROM vpc_flows WHERE action = 'REJECT'");
}

describe('CaseSession', () => {
  it('round trip: every piece of state survives save and reopen', async () => {
    const file = join(tmp(), 'a.tscope');
    const s = await track(CaseSession.create(file, { autosaveMs: 0 }));
    await fillState(s);
    expect(s.dirty).toBe(true);
    const before = { notes: await s.listNotes(), view: await s.getView(), reviews: [...(await s.reviews())], queries: await s.savedQueries() };
    expect(before.notes).toHaveLength(5);
    expect(await s.save()).toBe(file);
    expect(s.dirty).toBe(false);
    await s.close();
    expect(existsSync(`${file}.lock`)).toBe(false);

    const r = await track(CaseSession.open(file));
    expect(r.migratedFrom).toBeNull();
    expect(await r.listNotes()).toEqual(before.notes);
    expect(await r.getView()).toEqual(view);
    expect([...(await r.reviews())]).toEqual(before.reviews);
    expect(await r.savedQueries()).toEqual(before.queries);
    const notes = await r.listNotes();
    expect(notes.map((n) => n.target.type)).toEqual(['range', 'tunnel', 'finding', 'conversation', 'record']);
    expect(notes[4]!.kind).toBe('bookmark');
    await r.removeNote(notes[0]!.id);
    await expect(r.removeNote(notes[0]!.id)).rejects.toMatchObject({ code: 'not-found' });
  });

  it('an untitled case lives in the working directory until saved somewhere', async () => {
    const s = await track(CaseSession.create(undefined, { autosaveMs: 0 }));
    expect(s.path).toBeNull();
    await s.addNote({ at: '2026-11-27T10:00:00Z', target: { type: 'range', from: '2026-11-27T10:00:00Z', to: '2026-11-27T10:01:00Z' }, text: 'x', tags: [] });
    await expect(s.save()).rejects.toMatchObject({ code: 'bad-argument' });
    const file = join(tmp(), 'untitled.tscope');
    expect(await s.save(file)).toBe(file);
    expect(s.path).toBe(file);
    expect(readFileSync(`${file}.lock`, 'utf8')).toContain(String(process.pid));
    await s.close();
    expect((await caseFileInfo(file)).tables.annotations).toBe(1);
  });

  it('autosaves state changes into the file after a quiet period', async () => {
    const file = join(tmp(), 'auto.tscope');
    const s = await track(CaseSession.create(file, { autosaveMs: 30 }));
    await s.saveView(view);
    await s.setReview('f-1', { status: 'dismissed', note: '' });
    expect(s.dirty).toBe(true);
    for (let i = 0; i < 100 && s.dirty; i++) await new Promise((r) => setTimeout(r, 20));
    expect(s.dirty).toBe(false);
    const info = await caseFileInfo(file);
    expect(info.tables.view_state).toBe(1);
    expect(info.tables.finding_reviews).toBe(1);
    expect(info.lockedBy?.pid).toBe(process.pid);
  });

  it('refuses a file that another process has open, and takes over a stale lock', async () => {
    const file = join(tmp(), 'locked.tscope');
    const s = await track(CaseSession.create(file, { autosaveMs: 0 }));
    await expect(CaseSession.open(file)).rejects.toMatchObject({ code: 'case-locked', message: expect.stringContaining('locked.tscope is open') });
    await s.close();
    // A lock left by a process that no longer exists (pid 2^22+ is never live here).
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: 4_194_000, host: hostname(), since: 'x' }));
    const r = await track(CaseSession.open(file));
    expect(r.path).toBe(file);
    // Read-only opens take no lock and are not refused.
    const ro = await track(CaseSession.open(file, { readOnly: true }));
    const h = sha(file);
    await ro.addNote({ at: '2026-11-27T10:00:00Z', target: { type: 'finding', findingId: 'x' }, text: 'kept in the copy', tags: [] });
    expect(ro.dirty).toBe(true);
    await expect(ro.save()).rejects.toMatchObject({ code: 'read-only' });
    expect(sha(file)).toBe(h);
    const copy = join(tmp(), 'copy.tscope');
    await ro.save(copy);
    expect((await caseFileInfo(copy)).tables.annotations).toBe(1);
  });

  it('a truncated, damaged or foreign file gives a clear error and is never modified', async () => {
    const d = tmp();
    const good = join(d, 'good.tscope');
    const s = await CaseSession.create(good, { autosaveMs: 0 });
    await s.db.run("INSERT INTO quarantine SELECT 1, 'f.log', i, 'raw line ' || i, 'bad' FROM range(300000) t(i)");
    await s.save();
    await s.close();
    const bytes = readFileSync(good);

    const cases: [string, Buffer][] = [
      ['half.tscope', bytes.subarray(0, Math.floor(bytes.length / 2))],
      ['header.tscope', bytes.subarray(0, 4096)],
      ['empty.tscope', Buffer.alloc(0)],
      ['text.tscope', Buffer.from('version account-id interface-id\n2 123 eni-1\n')],
      // Damage inside data blocks: the header is fine, the block checksums are not. (Several places,
      // since where DuckDB put the data blocks, and which blocks are free, varies from run to run.)
      ((): [string, Buffer] => {
        const c = Buffer.from(bytes);
        for (const at of [0.2, 0.35, 0.5, 0.65, 0.8, 0.95]) {
          const from = Math.floor(bytes.length * at);
          for (let i = from; i < from + 4096; i++) c[i] = c[i]! ^ 0x5a;
        }
        return ['flipped.tscope', c];
      })(),
    ];
    for (const [name, content] of cases) {
      const p = join(d, name);
      writeFileSync(p, content);
      await expect(CaseSession.open(p), name).rejects.toMatchObject({ code: 'case-corrupt', message: expect.stringContaining('damaged') });
      expect(readFileSync(p).equals(content), name).toBe(true);
      expect(existsSync(`${p}.lock`), name).toBe(false);
    }
    // A DuckDB database that is not a case file is refused, not "migrated".
    const foreign = join(d, 'foreign.duckdb');
    const f = await Db.open(foreign, { migrate: false });
    await f.run('CREATE TABLE customers (name VARCHAR)');
    await f.close();
    const fBytes = sha(foreign);
    await expect(CaseSession.open(foreign)).rejects.toMatchObject({ code: 'case-corrupt', message: expect.stringContaining('not a Tunnelscope investigation file') });
    expect(sha(foreign)).toBe(fBytes);
    await expect(CaseSession.open(join(d, 'missing.tscope'))).rejects.toMatchObject({ code: 'not-found' });
  });

  it('sweeps working directories that a crashed process left behind, and cleans up its own on close', async () => {
    const root = workRoot();
    const orphan = mkdtempSync(join(root, 'tunnelscope-work-'));
    writeFileSync(join(orphan, 'owner.pid'), '4194001');
    writeFileSync(join(orphan, 'case.tscope'), 'left over');
    const s = await CaseSession.create(undefined, { autosaveMs: 0 });
    expect(existsSync(orphan)).toBe(false);
    const mine = readdirSync(root).filter((n) => n.startsWith('tunnelscope-work-') && readFileSync(join(root, n, 'owner.pid'), 'utf8') === String(process.pid));
    expect(mine.length).toBeGreaterThan(0);
    await s.close();
    const after = readdirSync(root).filter((n) => mine.includes(n));
    expect(after.length).toBe(mine.length - 1);
  });

  it('a file from a newer Tunnelscope is refused with a clear message', async () => {
    const file = join(tmp(), 'new.tscope');
    const db = await Db.open(file);
    await db.run("UPDATE meta SET value = '99' WHERE key = 'format_version'");
    await db.close();
    const h = sha(file);
    await expect(CaseSession.open(file)).rejects.toMatchObject({ code: 'case-too-new', message: expect.stringContaining('format 99') });
    expect(sha(file)).toBe(h);
  });

  it('migrates a version-1 file on the working copy; the original changes only on save', async () => {
    const file = join(tmp(), 'v1.tscope');
    const db = await Db.open(file, { migrate: false });
    await db.use(async (c) => {
      await c.run(migrations[0]!.sql);
      await c.run("INSERT INTO meta VALUES ('format_version', '1')");
      await c.run("INSERT INTO sources (path, kind, sha256) VALUES ('/x/flow.log', 'vpc_flows', 'abc')");
    });
    await db.close();
    const h = sha(file);
    const s = await track(CaseSession.open(file, { autosaveMs: 10 }));
    expect(s.migratedFrom).toBe(1);
    expect(s.dirty).toBe(true);
    await s.addNote({ at: '2026-11-27T10:00:00Z', target: { type: 'finding', findingId: 'x' }, text: 'after migration', tags: [] });
    await new Promise((r) => setTimeout(r, 100));
    expect(sha(file)).toBe(h); // no silent upgrade by autosave
    await s.save();
    await s.close();
    const info = await caseFileInfo(file);
    expect(info.formatVersion).toBe(FORMAT_VERSION);
    expect(info.tables.sources).toBe(1);
    expect(info.tables.annotations).toBe(1);
  });

  it('ignores a view state in the file that does not validate', async () => {
    const s = await track(CaseSession.create(undefined, { autosaveMs: 0 }));
    await s.db.run(`INSERT INTO view_state VALUES (1, '{"from": "<script>", "evil": true}', now())`);
    expect(await s.getView()).toBeNull();
    await s.db.run(`INSERT INTO annotations (id, kind, at_ts, target_type, target, text) VALUES ('bad', 'note', now(), 'range', '{"type":"range"}', 'x')`);
    expect(await s.listNotes()).toEqual([]);
  });
});

describe('opening in place', () => {
  async function bigCase(): Promise<string> {
    const file = join(tmp(), 'big.tscope');
    const s = await CaseSession.create(file, { autosaveMs: 0 });
    // ~40 MB: big enough that the working copy is still being made when open returns.
    await s.db.run("INSERT INTO quarantine SELECT 1, 'f.log', i, repeat(md5(i::VARCHAR), 4), 'bad' FROM range(400000) t(i)");
    await s.save();
    await s.close();
    return file;
  }

  it('reads the original at once, copies it in the background, and writes only once the copy is in place', async () => {
    const file = await bigCase();
    const h = sha(file);
    const s = await track(CaseSession.open(file, { autosaveMs: 0 }));
    expect(s.db.path).toBe(file);
    expect(s.db.readOnly).toBe(true);
    expect(await s.db.one('SELECT count(*) AS n FROM quarantine')).toEqual({ n: 400000 });
    // A note is a write: it waits for the working copy, then lands there, not in the original.
    await s.addNote({ at: '2026-11-27T10:05:00Z', target: { type: 'range', from: '2026-11-27T10:05:00Z', to: '2026-11-27T10:06:00Z' }, text: 'written', tags: [] });
    expect(s.db.path).not.toBe(file);
    expect(s.db.path.startsWith(workRoot())).toBe(true);
    expect(s.db.readOnly).toBe(false);
    expect(await s.listNotes()).toHaveLength(1);
    expect(await s.db.one('SELECT count(*) AS n FROM quarantine')).toEqual({ n: 400000 });
    expect(sha(file)).toBe(h);
    await s.save();
    expect(sha(file)).not.toBe(h);
    expect((await caseFileInfo(file)).tables.annotations).toBe(1);
  });

  it('closing while the working copy is being made stops it and leaves nothing behind', async () => {
    const file = await bigCase();
    const h = sha(file);
    const s = await CaseSession.open(file, { autosaveMs: 0 });
    expect(s.db.path).toBe(file);
    expect(existsSync(dirname(s.workingCopy))).toBe(true);
    await s.close();
    expect(existsSync(dirname(s.workingCopy))).toBe(false);
    await expect(s.writable()).rejects.toMatchObject({ code: 'no-case' });
    expect(sha(file)).toBe(h);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('a big file damaged in the middle opens, and the query that meets the damage says the file is damaged', async () => {
    const file = await bigCase();
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(16 * 1024 ** 2); // past the full check on open
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, Math.floor(size * 0.6));
    closeSync(fd);
    const s = await track(CaseSession.open(file, { readOnly: true, autosaveMs: 0 }));
    const err = await s.db.one('SELECT count(*), max(hash(COLUMNS(*))) FROM quarantine').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).not.toBeNull();
    expect(toErrorValue(err)).toMatchObject({ code: 'case-corrupt', message: expect.stringContaining('damaged') });
  });

  it('a file renamed over the original while it is open does not change what the session sees', async () => {
    const file = await bigCase();
    const other = join(tmp(), 'other.tscope');
    const o = await CaseSession.create(other, { autosaveMs: 0 });
    await o.close();
    const s = await track(CaseSession.open(file, { readOnly: true, autosaveMs: 0 }));
    // What a save by another program does: rename a complete new file over the path.
    const { renameSync } = await import('node:fs');
    renameSync(other, file);
    const db = await s.writable();
    expect(await db.one('SELECT count(*) AS n FROM quarantine')).toEqual({ n: 400000 });
  });
});

describe('SQL console', () => {
  it('runs read-only queries on the case with a row limit', async () => {
    const s = await track(CaseSession.create(undefined, { autosaveMs: 0 }));
    await s.db.run("INSERT INTO quarantine SELECT 1, 'f.log', i, 'raw', 'bad' FROM range(50000) t(i)");
    const r = await s.runSql('SELECT line FROM quarantine ORDER BY line', 100);
    expect(r.rows).toHaveLength(100);
    expect(r.truncated).toBe(true);
    expect(r.columns).toEqual(['line']);
    const all = await s.runSql('SELECT count(*) AS n FROM quarantine');
    expect(all).toMatchObject({ rows: [[50000]], truncated: false });
    // The console sees later changes (a fresh snapshot).
    await s.db.run('DELETE FROM quarantine WHERE line >= 10');
    expect((await s.runSql('SELECT count(*) FROM quarantine')).rows).toEqual([[10]]);
    for (const q of ['DESCRIBE quarantine', 'SHOW TABLES', 'EXPLAIN SELECT 1', 'WITH a AS (SELECT 1 AS x) SELECT x FROM a', '-- comment\nSELECT 1', 'SUMMARIZE quarantine']) {
      await expect(s.runSql(q), q).resolves.toHaveProperty('columns');
    }
  });

  it('refuses anything that reads or writes outside the case, or changes it', async () => {
    const d = tmp();
    const s = await track(CaseSession.create(undefined, { autosaveMs: 0 }));
    const refused: [string, string][] = [
      ["SELECT * FROM read_csv('/etc/passwd')", 'outside the investigation'],
      ["SELECT * FROM read_text('/etc/passwd')", 'outside the investigation'],
      ["SELECT * FROM glob('/etc/*')", 'outside the investigation'],
      ["FROM read_parquet('/etc/hosts')", 'outside the investigation'],
      [`COPY quarantine TO '${join(d, 'x.csv')}'`, 'not COPY'],
      [`ATTACH '${join(d, 'y.db')}'`, 'not ATTACH'],
      ['INSTALL httpfs', 'not INSTALL'],
      ['LOAD httpfs', 'not LOAD'],
      ['SET enable_external_access = true', 'not SET'],
      ["PRAGMA table_info('meta')", 'not PRAGMA'],
      ["INSERT INTO meta VALUES ('a', 'b')", 'not INSERT'],
      ['DELETE FROM annotations', 'not DELETE'],
      ['DROP TABLE meta', 'not DROP'],
      ['CREATE TABLE z (a INT)', 'not CREATE'],
      ["EXPORT DATABASE '/tmp/x'", 'not EXPORT'],
      ['CALL pragma_version()', 'not CALL'],
      ['SELECT 1; DROP TABLE meta', 'one statement'],
      ["SELECT 1; SELECT * FROM read_csv('/etc/passwd')", 'outside the investigation'],
      ['(SELECT 1) ; INSERT INTO meta VALUES (1,2)', 'one statement'],
    ];
    for (const [q, why] of refused) {
      const err = await s.runSql(q).then(
        () => null,
        (e) => e,
      );
      expect(err, q).toMatchObject({ code: 'read-only', message: expect.stringContaining(why) });
    }
    expect(existsSync(join(d, 'x.csv'))).toBe(false);
    expect(existsSync(join(d, 'y.db'))).toBe(false);
    await expect(s.runSql('SELEC 1')).rejects.toMatchObject({ code: 'read-only' });
    await expect(s.runSql('SELECT nope FROM meta')).rejects.toMatchObject({ code: 'bad-argument', message: expect.stringContaining('nope') });
    expect((await s.db.all('SELECT key FROM meta ORDER BY key')).length).toBeGreaterThan(0);
  });

  it('a long query can be interrupted', async () => {
    const s = await track(CaseSession.create(undefined, { autosaveMs: 0 }));
    const p = s.runSql('SELECT count(*) FROM range(10000000000) a');
    await new Promise((r) => setTimeout(r, 400));
    expect(s.interruptSql()).toBe(true);
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
  });
});
