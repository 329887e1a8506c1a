/**
 * Notes and bookmarks of the case, adding them at the playhead / window / selected finding or
 * conversation, and the two export dialogs (shared copy, report).
 */
import type { ArgsOf } from '../../../src-main/shared/contract.ts';
import type { Annotation, AnnotationTarget, Iso } from '../../../src-main/shared/domain.ts';
import { errorText, realApi, type ApiPort } from '../../lib/ui/api-port.ts';
import { toIso, toMs } from '../../lib/state/time.ts';
import { workbench, type Workbench } from '../../lib/state/workbench.svelte.ts';

export type Anchor = 'playhead' | 'window' | 'finding' | 'conversation';

/** Tags typed as "dpd, tunnel-2 #asym" → ["dpd", "tunnel-2", "asym"], deduplicated. */
export function parseTags(text: string): string[] {
  const tags = text
    .split(/[\s,;]+/)
    .map((t) => t.replace(/^#/, '').trim().slice(0, 64))
    .filter(Boolean);
  return [...new Set(tags)].slice(0, 50);
}

/** Which anchors make sense now, given the workbench and a selected conversation. */
export function availableAnchors(wb: Pick<Workbench, 'replayAt' | 'visibleRange' | 'selectedFindingId'>, conversationId: string | null): Anchor[] {
  const out: Anchor[] = [];
  if (wb.replayAt !== null) out.push('playhead');
  if (wb.visibleRange) out.push('window');
  if (wb.selectedFindingId) out.push('finding');
  if (conversationId) out.push('conversation');
  return out;
}

/** The notes.add arguments for an anchor; null when the anchor is not available. */
export function noteArgs(
  anchor: Anchor,
  kind: 'note' | 'bookmark',
  text: string,
  tags: string[],
  wb: Pick<Workbench, 'replayAt' | 'visibleRange' | 'selectedFindingId'>,
  conversationId: string | null,
): ArgsOf<'notes.add'> | null {
  const w = wb.visibleRange;
  const at: Iso | null = wb.replayAt !== null ? toIso(wb.replayAt) : w ? toIso(w.from) : null;
  let target: AnnotationTarget;
  switch (anchor) {
    case 'playhead':
      if (wb.replayAt === null) return null;
      // A bookmark at the playhead opens a minute either side of it.
      target = { type: 'range', from: toIso(wb.replayAt - 60_000), to: toIso(wb.replayAt + 60_000) };
      break;
    case 'window':
      if (!w) return null;
      target = { type: 'range', from: toIso(w.from), to: toIso(w.to) };
      break;
    case 'finding':
      if (!wb.selectedFindingId) return null;
      target = { type: 'finding', findingId: wb.selectedFindingId };
      break;
    case 'conversation':
      if (!conversationId) return null;
      target = { type: 'conversation', conversationId };
      break;
  }
  if (!at) return null;
  return { kind, at, target, text, tags };
}

export function describeTarget(t: AnnotationTarget): string {
  switch (t.type) {
    case 'range':
      return 'time range';
    case 'tunnel':
      return `tunnel ${t.tunnelIp} (${t.vpnId})`;
    case 'finding':
      return `finding ${t.findingId}`;
    case 'conversation':
      return `conversation ${t.conversationId}`;
    case 'record':
      return `${t.table} line ${t.line}`;
  }
}

export class NotesState {
  // Declared first: the $derived fields below read them (lazily).
  private api: ApiPort = realApi;
  private wb: Workbench = workbench;

  items = $state.raw<Annotation[]>([]);
  loading = $state(false);
  error = $state<string | null>(null);

  text = $state('');
  tagsText = $state('');
  kind = $state<'note' | 'bookmark'>('note');
  anchor = $state<Anchor>('window');
  /** The conversation selected in the conversations view, so a note can point at it. */
  conversationId = $state<string | null>(null);
  tagFilter = $state<string | null>(null);

  exportDialog = $state<null | 'shared' | 'report'>(null);
  exportOut = $state('');
  exportFormat = $state<'html' | 'md'>('html');
  keepRecords = $state(true);
  keepNotes = $state(true);
  exporting = $state(false);
  exportError = $state<string | null>(null);
  exportedPath = $state<string | null>(null);

  anchors = $derived(availableAnchors(this.wb, this.conversationId));
  allTags = $derived([...new Set(this.items.flatMap((n) => n.tags))].sort());
  visible = $derived(
    (this.tagFilter ? this.items.filter((n) => n.tags.includes(this.tagFilter!)) : this.items).toSorted((a, b) => toMs(a.at) - toMs(b.at)),
  );

  constructor(api: ApiPort = realApi, wb: Workbench = workbench) {
    this.api = api;
    this.wb = wb;}

  async load(): Promise<void> {
    if (!this.wb.caseSummary) {
      this.items = [];
      return;
    }
    this.loading = true;
    try {
      this.items = await this.api.call('notes.list');
      this.error = null;
    } catch (e) {
      this.error = errorText(e);
    } finally {
      this.loading = false;
    }
  }

  async add(): Promise<void> {
    const anchor = this.anchors.includes(this.anchor) ? this.anchor : this.anchors[0];
    if (!anchor) {
      this.error = 'Open a case with timed data first: a note needs a time, a window, a finding or a conversation.';
      return;
    }
    const text = this.text.trim();
    if (!text && this.kind === 'note') {
      this.error = 'Write the note first.';
      return;
    }
    const args = noteArgs(anchor, this.kind, text, parseTags(this.tagsText), this.wb, this.conversationId);
    if (!args) return;
    try {
      const note = await this.api.call('notes.add', args);
      this.items = [...this.items, note];
      this.text = '';
      this.tagsText = '';
      this.error = null;
    } catch (e) {
      this.error = errorText(e);
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.api.call('notes.remove', { id });
      this.items = this.items.filter((n) => n.id !== id);
    } catch (e) {
      this.error = errorText(e);
    }
  }

  /** Jump the workbench to what the note points at. */
  jump(n: Annotation): void {
    const t = n.target;
    if (t.type === 'range') this.wb.setWindow(toMs(t.from), toMs(t.to));
    else if (t.type === 'finding') {
      this.wb.selectFinding(t.findingId);
      this.wb.zoomTo(toMs(n.at), toMs(n.at));
    } else this.wb.zoomTo(toMs(n.at), toMs(n.at));
    if (this.wb.replayAt !== null) this.wb.seek(toMs(n.at));
  }

  openExport(which: 'shared' | 'report'): void {
    const c = this.wb.caseSummary;
    // An untitled case has no path yet: name the file after the case, next to where serve runs.
    const base = c?.path ? c.path.replace(/\.tscope$/i, '') : (c?.name ?? 'case').replace(/[^\w.-]+/g, '-');
    this.exportDialog = which;
    this.exportError = null;
    this.exportedPath = null;
    this.exportOut = which === 'shared' ? `${base}-shared.tscope` : `${base}-report.${this.exportFormat}`;
  }

  setExportFormat(f: 'html' | 'md'): void {
    this.exportFormat = f;
    this.exportOut = this.exportOut.replace(/\.(html|md)$/i, `.${f}`);
  }

  async runExport(): Promise<void> {
    const out = this.exportOut.trim();
    if (!out) {
      this.exportError = 'Give the output file path (on the machine running Tunnelscope).';
      return;
    }
    this.exporting = true;
    this.exportError = null;
    try {
      const r =
        this.exportDialog === 'shared'
          ? await this.api.call('case.redact', { out, keepRecords: this.keepRecords, keepNotes: this.keepNotes })
          : await this.api.call('report.export', { out, format: this.exportFormat });
      this.exportedPath = r.path;
    } catch (e) {
      this.exportError = errorText(e);
    } finally {
      this.exporting = false;
    }
  }
}
