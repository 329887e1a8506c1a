import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CaseSession } from '../../src-main/engine/case/session.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('atomic save', () => {
  it('survives kill -9 in the middle of writing: the original opens intact and the temp is swept', async () => {
    const d = mkdtempSync(join(tmpdir(), 'tscope-atomic-'));
    dirs.push(d);
    const file = join(d, 'incident.tscope');
    const s = await CaseSession.create(file, { autosaveMs: 0 });
    await s.addNote({ at: '2026-11-27T10:00:00Z', target: { type: 'range', from: '2026-11-27T10:00:00Z', to: '2026-11-27T10:05:00Z' }, text: 'before the crash', tags: ['keep'] });
    await s.save();
    await s.close();
    const before = sha(file);

    // The child's working copy lives on another filesystem (tmpfs) when it can, so the save is a
    // real byte copy even where the case's filesystem would make it an instant reflink.
    const env = existsSync('/dev/shm') ? { ...process.env, TUNNELSCOPE_WORK_DIR: '/dev/shm' } : process.env;
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'case-save-child.ts'), file], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    const exited = new Promise<number | null>((r) => child.on('exit', (code, sig) => r(sig ? -1 : code)));
    const tmp = `${file}.tmp-${child.pid}`;
    // Poll tightly for the temp file; kill the moment the save has started writing it.
    let sawTemp = false;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (existsSync(tmp)) {
        sawTemp = true;
        child.kill('SIGKILL');
        break;
      }
      if (out.includes('saved') || child.exitCode !== null) break;
      await new Promise((r) => setImmediate(r));
    }
    const code = await exited;
    expect(err).toBe('');
    expect(sawTemp, `child output: ${out}`).toBe(true);
    expect(code).toBe(-1);
    expect(out).not.toContain('saved');
    expect(existsSync(tmp)).toBe(true); // the half-written temp is still there…
    expect(sha(file)).toBe(before); // …and the original was never touched

    // The killed child's working directory is left behind; a session using the same work root sweeps it.
    if (env.TUNNELSCOPE_WORK_DIR) {
      const { sweepWorkDirs } = await import('../../src-main/engine/case/files.ts');
      const saved = process.env.TUNNELSCOPE_WORK_DIR;
      process.env.TUNNELSCOPE_WORK_DIR = env.TUNNELSCOPE_WORK_DIR;
      try {
        sweepWorkDirs();
      } finally {
        if (saved === undefined) delete process.env.TUNNELSCOPE_WORK_DIR;
        else process.env.TUNNELSCOPE_WORK_DIR = saved;
      }
      const left = readdirSync(env.TUNNELSCOPE_WORK_DIR).filter((n) => n.startsWith('tunnelscope-work-'));
      for (const n of left) expect(readFileSync(join(env.TUNNELSCOPE_WORK_DIR, n, 'owner.pid'), 'utf8')).not.toBe(String(child.pid));
    }

    const r = await CaseSession.open(file, { autosaveMs: 0 }); // the dead child's lock is stale
    try {
      expect((await r.listNotes()).map((n) => n.text)).toEqual(['before the crash']);
      expect((await r.db.one<{ n: number }>('SELECT count(*) AS n FROM quarantine'))!.n).toBe(0);
      expect(readdirSync(d).filter((n) => n.includes('.tmp-'))).toEqual([]);
    } finally {
      await r.close();
    }
  });

  it('a file another process has open is refused with a message naming that process', async () => {
    const d = mkdtempSync(join(tmpdir(), 'tscope-lock-'));
    dirs.push(d);
    const file = join(d, 'shared.tscope');
    const s = await CaseSession.create(file, { autosaveMs: 0 });
    await s.close();
    const holder = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'case-lock-child.ts'), file],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (b) => String(b).includes('open') && resolve());
        holder.on('exit', () => reject(new Error('holder exited')));
      });
      await expect(CaseSession.open(file)).rejects.toMatchObject({
        code: 'case-locked',
        message: expect.stringContaining(`another Tunnelscope process (pid ${holder.pid})`),
      });
      // Read-only is still possible: it takes no lock and never writes the file.
      const ro = await CaseSession.open(file, { readOnly: true });
      await ro.close();
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.on('exit', r));
    }
    // Once the holder is gone, its lock is stale and the file opens normally.
    const again = await CaseSession.open(file);
    await again.close();
  });
});
