/**
 * Acceptance: generated incidents (test/helpers/generator, with ground truth) are imported through
 * the real ingest service and analysed; every required incident must be found with the right kind,
 * subject and window (±1 detection bucket = 5 min, the generator's scoring rule), and no
 * warning/critical finding may match nothing. The quiet day must produce no warning or critical.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAnalysis, listFindings } from '../../src-main/engine/analysis/index.ts';
import { Db } from '../../src-main/engine/db/index.ts';
import { ingestPaths } from '../../src-main/engine/ingest/service.ts';
import type { Finding } from '../../src-main/shared/domain.ts';
import { generateScenario, type GenerateOptions, type Truth } from '../helpers/generator/index.ts';
import { scoreFindings } from '../helpers/generator/score.ts';

const tmp = mkdtempSync(join(tmpdir(), 'tscope-analysis-scen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function analyse(name: string, scenarios: GenerateOptions['scenarios'], hours: number, seed = 7): Promise<{ truth: Truth; findings: Finding[]; db: Db }> {
  const dir = join(tmp, name);
  const { truth } = await generateScenario({ scenarios, start: '2026-11-20T13:00:00Z', hours, seed }, dir);
  const db = await Db.open(join(tmp, `${name}.tscope`));
  await ingestPaths(db, [dir]);
  const { findings } = await runAnalysis(db);
  return { truth, findings, db };
}

function explain(findings: Finding[]): string {
  return findings.map((f) => `${f.severity} ${f.kind} ${f.start}..${f.end} ${JSON.stringify(f.subject)}`).join('\n');
}

const LONG = 600_000;

describe('analysis on generated incidents', () => {
  it(
    'ECMP + stateful firewall: route change, ECMP, asymmetric return on tunnel 2, half-open and syn-no-synack per service',
    async () => {
      const { truth, findings, db } = await analyse('ecmp', ['ecmp-asymmetric'], 3);
      try {
        const s = scoreFindings(truth.expected, findings);
        expect(s.missed, `missed:\n${JSON.stringify(s.missed, null, 1)}\nfound:\n${explain(findings)}`).toEqual([]);
        expect(s.falsePositives.map((f) => f.title)).toEqual([]);
        const asym = findings.find((f) => f.kind === 'asymmetric-return')!;
        expect(asym.severity).toBe('critical');
        expect(asym.subject.tunnel_ip).toBe(truth.topology.tunnels[1]!.outsideIp);
        expect(asym.summary).toMatch(/TunnelDataIn/);
        const ecmp = findings.find((f) => f.kind === 'ecmp-active')!;
        // Names the BGP change that made the paths equal.
        expect(ecmp.summary).toMatch(/AS path '65010'/);
        expect(ecmp.summary).toContain('172.16.0.0/16');
        // Evidence rows point at real files and lines.
        for (const f of findings) {
          expect(f.evidence.rows.length, f.title).toBeGreaterThan(0);
          for (const r of f.evidence.rows) expect(r.file && r.line != null, `${f.kind} evidence ${JSON.stringify(r)}`).toBeTruthy();
        }
        // Directions tied to tunnels where metrics allow: the SYNs came in on tunnel 1; the
        // SYN-ACKs' tunnel is unknowable while ECMP spreads AWS's traffic over both.
        const ho = await db.all<{ tf: string | null; tr: string | null }>("SELECT tunnel_fwd AS tf, tunnel_rev AS tr FROM conversations WHERE state = 'half-open'");
        expect(ho.length).toBeGreaterThan(10);
        expect(ho.every((r) => r.tf === truth.topology.tunnels[0]!.outsideIp && r.tr === null)).toBe(true);
        // Same data → same ids (case reviews are keyed by them).
        const again = await runAnalysis(db);
        expect(again.findings.map((f) => f.id).sort()).toEqual(findings.map((f) => f.id).sort());
        expect((await listFindings(db)).map((f) => f.id).sort()).toEqual(findings.map((f) => f.id).sort());
      } finally {
        await db.close();
      }
    },
    LONG,
  );

  it(
    'tunnel outage, SG reject, blackholed route and SKIPDATA in one timeline: each found with kind, subject and window',
    async () => {
      const { truth, findings, db } = await analyse('mixed', ['tunnel-outage', 'sg-reject', 'blackhole', 'skipdata'], 6);
      try {
        const s = scoreFindings(truth.expected, findings);
        expect(s.missed, `missed:\n${JSON.stringify(s.missed, null, 1)}\nfound:\n${explain(findings)}`).toEqual([]);
        expect(s.falsePositives.map((f) => f.title)).toEqual([]);
        const down = findings.find((f) => f.kind === 'tunnel-down')!;
        expect(down.summary).toMatch(/DPD timed out/);
        expect(down.summary).toMatch(/BGP DOWN/);
        const rej = findings.find((f) => f.kind === 'reject-burst')!;
        expect(rej.stats.likelyCause).toBe('security-group');
        expect(rej.summary).toMatch(/security group/);
        const drop = findings.find((f) => f.kind === 'tgw-drop')!;
        expect(drop.stats.reason).toBe('blackhole');
        expect(drop.summary).toContain('172.16.20.0/24');
        const gaps = findings.filter((f) => f.kind === 'log-gap');
        expect(gaps.some((g) => /SKIPDATA/.test(g.title))).toBe(true);
        expect(gaps.some((g) => /while others saw its traffic/.test(g.title))).toBe(true);
      } finally {
        await db.close();
      }
    },
    LONG,
  );

  it(
    'network ACL variant: the responses are rejected, and the finding says network ACL',
    async () => {
      const { truth, findings, db } = await analyse('nacl', [{ kind: 'sg-reject', variant: 'nacl' }], 2);
      try {
        const s = scoreFindings(truth.expected, findings);
        expect(s.missed, explain(findings)).toEqual([]);
        expect(s.falsePositives.map((f) => f.title)).toEqual([]);
        const rej = findings.find((f) => f.kind === 'reject-burst')!;
        expect(rej.stats.likelyCause).toBe('network-acl');
        expect(rej.summary).toMatch(/network ACL/);
      } finally {
        await db.close();
      }
    },
    LONG,
  );

  it(
    'a quiet day yields no warning or critical finding',
    async () => {
      const { truth, findings, db } = await analyse('quiet', ['quiet'], 6, 3);
      try {
        expect(truth.expected).toEqual([]);
        expect(findings.filter((f) => f.severity !== 'info').map((f) => `${f.kind}: ${f.title}`)).toEqual([]);
        const conv = await db.one<{ n: number }>('SELECT count(*) AS n FROM conversations');
        expect(conv!.n).toBeGreaterThan(100);
      } finally {
        await db.close();
      }
    },
    LONG,
  );
});
