/**
 * The incident report: one self-contained HTML file (inline CSS, charts as inline SVG, a CSP that
 * forbids scripts and every network fetch) or Markdown for pasting into a ticket. Everything that
 * comes from the case is escaped: a case file may come from someone else.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Db } from '../db/index.ts';
import type { Finding } from '../../shared/domain.ts';
import { AppError } from '../../shared/result.ts';
import { handshakeChart, humanBytes, rejectChart, tunnelChart } from './report-charts.ts';
import { loadReportData, type ReportData } from './report-data.ts';
import type { CaseSession } from './session.ts';

export const esc = (v: unknown): string =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Markdown-safe inline text: no HTML, no table breaks, no emphasis or link syntax from the data. */
export const mdEsc = (v: unknown): string =>
  String(v ?? '')
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|#!~]/g, (c) => `\\${c}`);

const time = (iso: string | null | undefined): string => (iso ? `${iso.slice(0, 19).replace('T', ' ')}Z` : '–');
const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as const;
const fileName = (p: string | null | undefined): string | null => (p ? p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1) : null);
/** Most severe first, then in time order: the order a reader of the report needs. */
const bySeverity = (fs: ReportData['findings']) => [...fs].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.start.localeCompare(b.start));

function duration(f: Finding): string {
  const s = Math.max(0, (Date.parse(f.end) - Date.parse(f.start)) / 1000);
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function describeTarget(n: ReportData['notes'][number]): string {
  const t = n.target;
  switch (t.type) {
    case 'range':
      return `${time(t.from)} – ${time(t.to)}`;
    case 'tunnel':
      return `tunnel ${t.vpnId} / ${t.tunnelIp}`;
    case 'finding':
      return `finding ${t.findingId}`;
    case 'conversation':
      return `conversation ${t.conversationId}`;
    case 'record':
      return `record ${t.table} source ${t.sourceId} line ${t.line}`;
  }
}

function summaryLines(d: ReportData): string[] {
  const f = d.findings;
  const sev = (s: string) => f.filter((x) => x.severity === s).length;
  const reviewed = (s: string) => f.filter((x) => x.review?.status === s).length;
  const lines = [
    `Data from ${time(d.timeMin)} to ${time(d.timeMax)}: ${d.sources.length} source files, ${d.counts.vpc_flows ?? 0} VPC flow records, ${d.counts.tgw_flows ?? 0} TGW flow records, ${d.counts.metric_points ?? 0} metric points, ${(d.counts.vpn_events ?? 0) + (d.counts.bgp_events ?? 0)} tunnel/BGP log events${d.counts.quarantine ? `, ${d.counts.quarantine} lines quarantined` : ''}.`,
    d.analyzedAt
      ? `${f.length} findings (${sev('critical')} critical, ${sev('warning')} warning, ${sev('info')} info); ${reviewed('confirmed')} confirmed and ${reviewed('dismissed')} dismissed by the investigator.`
      : 'The case has not been analysed: no findings.',
  ];
  if (d.redacted) {
    lines.unshift(
      `This is a redacted copy: addresses, account and resource IDs are pseudonyms${d.redacted.records ? '' : '; raw records were left out (record counts are of what this copy holds; findings and charts come from the original analysis)'}${d.redacted.notes ? '' : '; notes were left out'}.`,
    );
  }
  if (d.tunnels.length) lines.push(`Tunnels with metrics: ${d.tunnels.map((t) => `${t.vpnId} / ${t.tunnelIp}`).join(', ')}.`);
  return lines;
}

function sourceKinds(d: ReportData): unknown[][] {
  const by = new Map<string, { files: number; records: number; quarantined: number; partial: number }>();
  for (const s of d.sources) {
    const k = by.get(s.kind) ?? { files: 0, records: 0, quarantined: 0, partial: 0 };
    k.files++;
    k.records += s.records;
    k.quarantined += s.quarantined;
    if (s.status !== 'complete') k.partial++;
    by.set(s.kind, k);
  }
  return [...by].map(([kind, k]) => [kind, k.files, k.records, k.quarantined, k.partial]);
}

function keyFindings(d: ReportData): Finding[] {
  return d.findings
    .filter((f) => f.review?.status !== 'dismissed')
    .sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.start.localeCompare(b.start))
    .slice(0, 8);
}

// ---- HTML ----------------------------------------------------------------------------------

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #111827; margin: 0; background: #f3f4f6; }
main { max-width: 1000px; margin: 0 auto; padding: 24px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 4px; }
.meta { color: #6b7280; font-size: 12px; }
.chart { margin: 8px 0 16px; border: 1px solid #e5e7eb; } .chart svg { display: block; width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: 12px; margin: 6px 0; }
th, td { border: 1px solid #e5e7eb; padding: 3px 6px; text-align: left; vertical-align: top; word-break: break-word; }
th { background: #f9fafb; }
.finding { border: 1px solid #e5e7eb; border-left: 4px solid #9ca3af; padding: 10px 12px; margin: 10px 0; border-radius: 4px; }
.finding.critical { border-left-color: #dc2626; } .finding.warning { border-left-color: #d97706; } .finding.info { border-left-color: #2563eb; }
.badge { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 9px; background: #e5e7eb; margin-right: 4px; }
.badge.critical { background: #fee2e2; color: #991b1b; } .badge.warning { background: #fef3c7; color: #92400e; } .badge.info { background: #dbeafe; color: #1e40af; }
.badge.confirmed { background: #dcfce7; color: #166534; } .badge.dismissed { background: #f3f4f6; color: #6b7280; text-decoration: line-through; }
pre { background: #f9fafb; border: 1px solid #e5e7eb; padding: 8px; overflow-x: auto; font-size: 11px; white-space: pre-wrap; }
.note { margin: 4px 0; } .tags .badge { background: #ede9fe; color: #5b21b6; }
.empty { color: #6b7280; font-style: italic; }
table.events td:nth-child(-n+5), table.notes td:nth-child(-n+2) { white-space: nowrap; word-break: normal; }
`;

function table(head: string[], rows: unknown[][], cls = ''): string {
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(typeof c === 'object' && c !== null ? JSON.stringify(c) : c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function findingHtml(f: ReportData['findings'][number]): string {
  const stats = Object.entries(f.stats ?? {}).filter(([, v]) => v !== null && v !== '');
  const subject = Object.entries(f.subject ?? {}).filter(([, v]) => v !== undefined && v !== null);
  const ev = f.evidence?.rows ?? [];
  const cols = [...new Set(ev.flatMap((r) => Object.keys(r.values ?? {})))].slice(0, 12);
  return `<section class="finding ${esc(f.severity)}">
<h3><span class="badge ${esc(f.severity)}">${esc(f.severity)}</span>${f.review && f.review.status !== 'open' ? `<span class="badge ${esc(f.review.status)}">${esc(f.review.status)}</span>` : ''}${esc(f.title)}</h3>
<div class="meta">${esc(f.kind)} · ${esc(time(f.start))} – ${esc(time(f.end))} (${esc(duration(f))}) · id ${esc(f.id)}</div>
<p>${esc(f.summary)}</p>
${subject.length ? `<div class="meta">Subject: ${subject.map(([k, v]) => `${esc(k)} <b>${esc(v)}</b>`).join(', ')}</div>` : ''}
${stats.length ? table(['measure', 'value'], stats.map(([k, v]) => [k, v])) : ''}
${f.review?.note ? `<p class="note"><b>Investigator:</b> ${esc(f.review.note)}</p>` : ''}
${ev.length ? `<div class="meta">Evidence (sample records):</div>${table(['file:line', ...cols], ev.map((r) => [`${fileName(r.file) ?? r.table}:${r.line ?? ''}`, ...cols.map((c) => r.values?.[c] ?? '')]))}` : ''}
${f.evidence?.sql ? `<details><summary class="meta">Evidence query (run it in the SQL console)</summary><pre>${esc(f.evidence.sql)}</pre></details>` : ''}
</section>`;
}

export function renderHtml(d: ReportData): string {
  const charts = [tunnelChart(d), rejectChart(d), handshakeChart(d)].filter((c): c is string => !!c);
  const key = keyFindings(d);
  const body = `
<header>
<h1>Incident report: ${esc(d.name)}</h1>
<div class="meta">Generated ${esc(time(d.generatedAt))} by Tunnelscope · data ${esc(time(d.timeMin))} – ${esc(time(d.timeMax))}${d.analyzedAt ? ` · analysed ${esc(time(d.analyzedAt))}` : ''} · all times UTC</div>
</header>

<h2>Summary</h2>
<ul>${summaryLines(d).map((l) => `<li>${esc(l)}</li>`).join('')}</ul>
${key.length ? `<p><b>Key findings</b></p><ol>${key.map((f) => `<li><span class="badge ${esc(f.severity)}">${esc(f.severity)}</span>${esc(time(f.start))} – ${esc(time(f.end))}: ${esc(f.title)}</li>`).join('')}</ol>` : ''}

<h2>Timeline</h2>
${charts.length ? charts.map((svg) => `<div class="chart">${svg}</div>`).join('\n') : '<p class="empty">No metrics or flow records to chart.</p>'}
<p class="meta">Shaded bands mark the windows of related findings.</p>

<h2>Findings (${d.findings.length})</h2>
${d.findings.length ? bySeverity(d.findings).map(findingHtml).join('\n') : `<p class="empty">${d.analyzedAt ? 'Analysis found nothing.' : 'Not analysed yet.'}</p>`}

<h2>Tunnel and BGP events${d.eventsTotal > d.events.length ? ` (first ${d.events.length} of ${d.eventsTotal})` : ` (${d.events.length})`}</h2>
${d.events.length ? table(['time', 'log', 'VPN', 'tunnel', 'event', 'details'], d.events.map((e) => [time(e.ts), e.log, e.vpnId ?? '', e.tunnelIp ?? '', e.what, e.details]), 'events') : '<p class="empty">No tunnel or BGP log events in this case.</p>'}

<h2>Notes and bookmarks (${d.notes.length})</h2>
${
  d.notes.length
    ? table(
        ['time', 'kind', 'about', 'note', 'tags'],
        d.notes.map((n) => [time(n.at), n.kind, describeTarget(n), n.text, n.tags.join(', ')]),
        'notes',
      )
    : '<p class="empty">No notes.</p>'
}

<h2>Sources (${d.sources.length} files)</h2>
${table(['kind', 'files', 'records', 'quarantined lines', 'partial files'], sourceKinds(d))}
<details><summary class="meta">Every file</summary>${table(['file', 'kind', 'records', 'quarantined', 'status'], d.sources.map((s) => [s.file, s.kind, s.records, s.quarantined, s.status]))}</details>
`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Incident report: ${esc(d.name)}</title>
<style>${CSS}</style>
</head>
<body><main>${body}</main></body>
</html>
`;
}

// ---- Markdown ------------------------------------------------------------------------------

function mdTable(head: string[], rows: unknown[][]): string {
  return [`| ${head.map(mdEsc).join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map((c) => mdEsc(typeof c === 'object' && c !== null ? JSON.stringify(c) : c)).join(' | ')} |`)].join('\n');
}

export function renderMarkdown(d: ReportData): string {
  const out: string[] = [];
  out.push(`# Incident report: ${mdEsc(d.name)}`, '', `Generated ${time(d.generatedAt)} by Tunnelscope. Data ${time(d.timeMin)} – ${time(d.timeMax)}. All times UTC.`, '');
  out.push('## Summary', '', ...summaryLines(d).map((l) => `- ${mdEsc(l)}`), '');
  const key = keyFindings(d);
  if (key.length) out.push('**Key findings**', '', ...key.map((f, i) => `${i + 1}. **${mdEsc(f.severity)}** ${time(f.start)} – ${time(f.end)}: ${mdEsc(f.title)}`), '');
  if (d.tunnels.length) {
    out.push('## Tunnel traffic', '', mdTable(['VPN', 'tunnel', 'bytes in', 'bytes out', 'periods down'], d.tunnels.map((t) => [t.vpnId, t.tunnelIp, humanBytes(t.bytesIn.reduce((a, p) => a + p.v, 0)), humanBytes(t.bytesOut.reduce((a, p) => a + p.v, 0)), t.down.filter((p) => p.v > 0).length])), '');
  }
  out.push(`## Findings (${d.findings.length})`, '');
  for (const f of bySeverity(d.findings)) {
    out.push(`### [${mdEsc(f.severity)}] ${mdEsc(f.title)}`, '');
    out.push(`- ${mdEsc(f.kind)}, ${time(f.start)} – ${time(f.end)} (${duration(f)}), id \`${f.id.replace(/`/g, '')}\``);
    if (f.review && f.review.status !== 'open') out.push(`- Review: **${mdEsc(f.review.status)}**${f.review.note ? `: ${mdEsc(f.review.note)}` : ''}`);
    out.push(`- ${mdEsc(f.summary)}`);
    for (const [k, v] of Object.entries(f.stats ?? {}).filter(([, x]) => x !== null && x !== '')) out.push(`- ${mdEsc(k)}: ${mdEsc(v)}`);
    const ev = f.evidence?.rows ?? [];
    if (ev.length) {
      const cols = [...new Set(ev.flatMap((r) => Object.keys(r.values ?? {})))].slice(0, 8);
      out.push('', mdTable(['file:line', ...cols], ev.map((r) => [`${fileName(r.file) ?? r.table}:${r.line ?? ''}`, ...cols.map((c) => r.values?.[c] ?? '')])));
    }
    out.push('');
  }
  out.push(`## Tunnel and BGP events (${d.eventsTotal})`, '');
  out.push(d.events.length ? mdTable(['time', 'log', 'VPN', 'tunnel', 'event', 'details'], d.events.map((e) => [time(e.ts), e.log, e.vpnId ?? '', e.tunnelIp ?? '', e.what, e.details])) : '_none_', '');
  out.push(`## Notes and bookmarks (${d.notes.length})`, '');
  out.push(d.notes.length ? mdTable(['time', 'kind', 'about', 'note', 'tags'], d.notes.map((n) => [time(n.at), n.kind, describeTarget(n), n.text, n.tags.join(', ')])) : '_none_', '');
  out.push(`## Sources (${d.sources.length} files)`, '', mdTable(['kind', 'files', 'records', 'quarantined lines', 'partial files'], sourceKinds(d)), '');
  return out.join('\n');
}

// ---- export --------------------------------------------------------------------------------

export async function buildReport(db: Db, name: string, format: 'html' | 'md'): Promise<string> {
  const d = await loadReportData(db, name);
  return format === 'md' ? renderMarkdown(d) : renderHtml(d);
}

/** Writes the report for the open case (atomically: temp file, then rename). */
export async function exportReport(session: CaseSession, opts: { out: string; format?: 'html' | 'md' }): Promise<string> {
  const out = resolve(opts.out);
  if (session.path && out === resolve(session.path)) throw new AppError('bad-argument', 'The report must go to a new file, not over the investigation.');
  const text = await buildReport(session.db, session.name, opts.format ?? 'html');
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text, 'utf8');
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new AppError('io', `Could not write the report to ${out}: ${(e as Error).message}`);
  }
  return out;
}
