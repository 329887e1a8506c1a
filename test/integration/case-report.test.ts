import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { listFindings } from '../../src-main/engine/analysis/findings.ts';
import { runAnalysis } from '../../src-main/engine/analysis/run.ts';
import { exportReport } from '../../src-main/engine/case/report.ts';
import { CaseSession } from '../../src-main/engine/case/session.ts';

const root = mkdtempSync(join(tmpdir(), 'tscope-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const demo = resolve(__dirname, '../../resources/demo.tscope');
const results = resolve(__dirname, '../../test-results');
const EVIL = `<img src=x onerror="alert(1)"><script>fetch('https://evil.example/x')</script> | **bold** [link](http://x)`;

/** The demo incident when it is built, otherwise a small case with rows inserted here. */
async function incident(): Promise<CaseSession> {
  const file = join(root, 'incident.tscope');
  if (existsSync(demo)) {
    copyFileSync(demo, file);
    const s = await CaseSession.open(file, { autosaveMs: 0 });
    await runAnalysis(await s.writable());
    return s;
  }
  const s = await CaseSession.create(file, { autosaveMs: 0 });
  await s.db.use(async (c) => {
    await c.run("INSERT INTO sources (path, kind, sha256) VALUES ('/x/metrics.json', 'metrics', 'x')");
    for (let i = 0; i < 36; i++) {
      const ts = new Date(Date.parse('2026-11-20T13:00:00Z') + i * 300_000).toISOString();
      for (const [ip, k] of [['34.206.11.22', 1], ['52.44.201.17', 0.05]] as const) {
        for (const m of ['TunnelDataIn', 'TunnelDataOut']) {
          await c.run("INSERT INTO metric_points (source_id, namespace, metric, series_key, vpn_id, tunnel_ip, attributed, ts, value) VALUES (1, 'AWS/VPN', $m, $k, 'vpn-0c2d4e6f8a0b1c3d5', $ip, true, $ts, $v)", {
            m, k: `${m}-${ip}`, ip, ts, v: (i > 20 && i < 26 && k === 1 ? 0 : 1e6 * k * (1 + Math.sin(i / 4))),
          });
        }
      }
      await c.run("INSERT INTO vpc_flows (source_id, line, srcaddr, dstaddr, action, start_time, end_time) VALUES (1, $l, '172.16.10.5', '10.10.1.10', 'REJECT', $t, $t)", { l: i, t: 1763643600 + i * 300 });
    }
    await c.run("INSERT INTO bgp_events (source_id, line, ts, vpn_id, tunnel_ip, type, status, details) VALUES (1, 1, '2026-11-20T14:45:00Z', 'vpn-0c2d4e6f8a0b1c3d5', '34.206.11.22', 'BGPStatus', 'DOWN', 'Established to Idle')");
  });
  await runAnalysis(await s.writable());
  return s;
}

describe('incident report', () => {
  it('is one self-contained, escaped HTML file with charts, findings, events and notes; Chromium renders it', async () => {
    const s = await incident();
    try {
      const findings = await listFindings(s.db);
      if (findings[0]) await s.setReview(findings[0].id, { status: 'confirmed', note: `customer confirmed ${EVIL}` });
      await s.addNote({ at: '2026-11-20T15:12:00Z', target: { type: 'tunnel', vpnId: 'vpn-0c2d4e6f8a0b1c3d5', tunnelIp: '34.206.11.22' }, text: `tunnel 1 BGP down ${EVIL}`, tags: ['bgp'] });
      await s.addNote({ kind: 'bookmark', at: '2026-11-20T13:20:00Z', target: { type: 'range', from: '2026-11-20T13:20:00Z', to: '2026-11-20T14:20:00Z' }, text: 'ECMP window starts', tags: [] });
      const out = join(root, 'report.html');
      expect(await exportReport(s, { out })).toBe(out);
      const html = readFileSync(out, 'utf8');

      // Self-contained: no scripts, no external references, a CSP that forbids both.
      expect(html).toContain(`default-src 'none'`);
      expect(html).not.toMatch(/<script/i);
      expect(html).not.toMatch(/\s(src|href)=["']?(https?:)?\/\//i);
      expect(html).not.toMatch(/<img/i);
      expect(html).not.toMatch(/<[^>]*onerror=/i);
      expect(html).toContain('&lt;script&gt;fetch(&#39;https://evil.example/x&#39;)&lt;/script&gt;');
      // Charts are inline SVG; the sections are there, notes in time order.
      expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(2);
      for (const h of ['Summary', 'Timeline', 'Findings', 'Tunnel and BGP events', 'Notes and bookmarks', 'Sources']) expect(html).toContain(`<h2>${h}`);
      expect(html.indexOf('ECMP window starts')).toBeLessThan(html.indexOf('tunnel 1 BGP down'));
      if (findings[0]) expect(html).toContain(findings[0].title.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));

      const md = readFileSync(await exportReport(s, { out: join(root, 'report.md'), format: 'md' }), 'utf8');
      expect(md).toMatch(/^# Incident report: /);
      expect(md).not.toMatch(/<script|<img/);
      expect(md).toContain('&lt;script&gt;');
      expect(md).toContain('## Notes and bookmarks (2)');

      // Open it in Chromium with the network cut off, and keep a screenshot to look at.
      const browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
        const requests: string[] = [];
        const errors: string[] = [];
        page.on('request', (r) => requests.push(r.url()));
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('dialog', (d) => {
          errors.push(`dialog: ${d.message()}`);
          void d.dismiss();
        });
        await page.goto(pathToFileURL(out).href);
        await page.waitForLoadState('load');
        expect(requests).toEqual([pathToFileURL(out).href]);
        expect(errors).toEqual([]);
        expect(await page.locator('svg').count()).toBeGreaterThanOrEqual(2);
        expect(await page.locator('h1').innerText()).toContain('Incident report');
        mkdirSync(results, { recursive: true });
        await page.screenshot({ path: join(results, 'case-report.png'), fullPage: false });
        await page.screenshot({ path: join(results, 'case-report-full.png'), fullPage: true });
      } finally {
        await browser.close();
      }
    } finally {
      await s.close();
    }
  });
});
