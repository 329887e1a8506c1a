/**
 * Findings: the list from the engine, the selected one (the id lives in the shared workbench
 * state so it is saved with the view), its raw records, and review (confirm / dismiss + note).
 */
import type { Finding, FlowFilter, RawRecord, RecordRef, Severity } from '../../../src-main/shared/domain.ts';
import type { Highlight, TimeWindow, Workbench } from '../../lib/state/workbench.svelte.ts';
import { toIso, toMs } from '../../lib/state/time.ts';

export interface FindingsApi {
  list(): Promise<Finding[]>;
  records(refs: RecordRef[]): Promise<RawRecord[]>;
  review(findingId: string, status: 'open' | 'confirmed' | 'dismissed', note: string): Promise<Finding>;
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
const RECORD_TABLES = new Set<RecordRef['table']>(['vpc_flows', 'tgw_flows', 'vpn_events', 'bgp_events', 'metric_points']);

export function sortFindings(list: readonly Finding[]): Finding[] {
  return [...list].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || toMs(a.start) - toMs(b.start) || a.id.localeCompare(b.id));
}

export function subjectText(f: Finding): string {
  const s = f.subject;
  const parts: string[] = [];
  if (s.vpn_id) parts.push(s.vpn_id);
  if (s.tunnel_ip) parts.push(`tunnel ${s.tunnel_ip}`);
  if (s.attachment_id) parts.push(s.attachment_id);
  if (s.interface_id) parts.push(s.interface_id);
  if (s.src_cidr) parts.push(`from ${s.src_cidr}`);
  if (s.dst_addr) parts.push(`to ${s.dst_addr}${s.dst_port !== undefined ? ':' + s.dst_port : ''}`);
  else if (s.dst_port !== undefined) parts.push(`port ${s.dst_port}`);
  return parts.join(' · ') || '—';
}

export function highlightFor(f: Finding): Highlight | null {
  const s = f.subject;
  if (!s.vpn_id && !s.tunnel_ip && !s.attachment_id) return null;
  return { vpnId: s.vpn_id, tunnelIp: s.tunnel_ip, attachmentId: s.attachment_id };
}

export function findingWindow(f: Finding): TimeWindow {
  return { from: toMs(f.start), to: Math.max(toMs(f.end), toMs(f.start) + 1000) };
}

/** The conversations behind a finding: its subject as a flow filter over its time. */
export function conversationFilter(f: Finding): FlowFilter {
  const s = f.subject;
  const filter: FlowFilter = { from: toIso(toMs(f.start)), to: toIso(Math.max(toMs(f.end), toMs(f.start) + 1000)) };
  const addr = s.dst_addr ?? s.src_cidr;
  if (addr) filter.cidr = addr.includes('/') ? addr : `${addr}/${addr.includes(':') ? 128 : 32}`;
  if (s.dst_port !== undefined) filter.port = s.dst_port;
  if (s.protocol !== undefined) filter.protocol = s.protocol;
  const path = s.tunnel_ip ?? s.attachment_id;
  if (path) filter.path = path;
  if (s.interface_id) filter.capturePoint = s.interface_id;
  if (f.kind === 'half-open') filter.state = 'half-open';
  if (f.kind === 'syn-no-synack') filter.state = 'syn-no-synack';
  if (f.kind === 'reject-burst') filter.action = 'REJECT';
  return filter;
}

export function evidenceRefs(f: Finding): RecordRef[] {
  const refs: RecordRef[] = [];
  const seen = new Set<string>();
  for (const r of f.evidence.rows) {
    if (r.sourceId === null || r.line === null || !RECORD_TABLES.has(r.table as RecordRef['table'])) continue;
    const key = `${r.table}:${r.sourceId}:${r.line}`;
    if (seen.has(key)) continue;
    seen.add(key);
    refs.push({ table: r.table as RecordRef['table'], sourceId: r.sourceId, line: r.line });
    if (refs.length >= 500) break;
  }
  return refs;
}

export class FindingsState {
  list = $state.raw<Finding[]>([]);
  loading = $state(false);
  error = $state<string | null>(null);
  records = $state.raw<RawRecord[] | null>(null);
  recordsFor = $state<string | null>(null);
  recordsLoading = $state(false);
  recordsError = $state<string | null>(null);
  reviewBusy = $state(false);
  reviewError = $state<string | null>(null);

  selected = $derived.by(() => this.list.find((f) => f.id === this.wb.selectedFindingId) ?? null);

  constructor(
    private readonly api: FindingsApi,
    private readonly wb: Workbench,
  ) {}

  async load(): Promise<void> {
    this.loading = true;
    try {
      this.list = sortFindings(await this.api.list());
      this.error = null;
      // a restored view names its selected finding: emphasise its tunnel again (the window is restored as saved)
      const sel = this.selected;
      if (sel && !this.wb.highlight) this.wb.highlight = highlightFor(sel);
    } catch (e) {
      this.error = message(e);
    } finally {
      this.loading = false;
    }
  }

  /** Select a finding: zoom the timeline to it (with margin) and emphasise its tunnel. */
  select(f: Finding | null): void {
    if (!f) {
      this.wb.selectFinding(null);
      return;
    }
    this.wb.selectFinding(f.id, highlightFor(f));
    const w = findingWindow(f);
    this.wb.zoomTo(w.from, w.to);
    if (this.recordsFor !== f.id) {
      this.records = null;
      this.recordsFor = null;
      this.recordsError = null;
    }
    this.reviewError = null;
  }

  /** Move the selection up/down the list. */
  selectNext(dir: 1 | -1): void {
    if (!this.list.length) return;
    const i = this.selected ? this.list.indexOf(this.selected) : -1;
    const next = this.list[Math.min(this.list.length - 1, Math.max(0, i + dir))];
    if (next) this.select(next);
  }

  showConversations(f: Finding): void {
    this.wb.showConversations(conversationFilter(f), findingWindow(f));
  }

  async loadRecords(f: Finding): Promise<void> {
    const refs = evidenceRefs(f);
    this.recordsFor = f.id;
    if (!refs.length) {
      this.records = [];
      this.recordsError = 'This finding names no raw records (its evidence rows carry no file and line).';
      return;
    }
    this.recordsLoading = true;
    try {
      this.records = await this.api.records(refs);
      this.recordsError = null;
    } catch (e) {
      this.recordsError = message(e);
    } finally {
      this.recordsLoading = false;
    }
  }

  async review(f: Finding, status: 'open' | 'confirmed' | 'dismissed', note: string): Promise<void> {
    this.reviewBusy = true;
    try {
      const updated = await this.api.review(f.id, status, note);
      this.list = this.list.map((x) => (x.id === updated.id ? updated : x));
      this.reviewError = null;
    } catch (e) {
      this.reviewError = `Could not save the review: ${message(e)}`;
    } finally {
      this.reviewBusy = false;
    }
  }

  clear(): void {
    this.list = [];
    this.records = null;
    this.recordsFor = null;
    this.error = null;
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
