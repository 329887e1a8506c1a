/**
 * Window math for virtualized lists with a fixed row height. Browsers cap an element's height
 * (Chromium ~33.5 M px, Firefox ~17.9 M px), so past MAX_SCROLL_PX the scroll range is compressed:
 * the scrollbar maps proportionally onto the rows and the rendered block is positioned so the row
 * under the top edge stays exactly aligned.
 */
export const MAX_SCROLL_PX = 12_000_000;

export interface VirtualWindow {
  /** First row to render (inclusive) and last (exclusive). */
  start: number;
  end: number;
  /** translateY of the rendered block inside the scroll content. */
  offsetY: number;
  /** Height of the scroll content (spacer). */
  scrollHeight: number;
}

export function virtualWindow(scrollTop: number, viewportHeight: number, rowHeight: number, total: number, overscan = 6): VirtualWindow {
  const fullHeight = total * rowHeight;
  const scrollHeight = Math.min(fullHeight, MAX_SCROLL_PX);
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0, offsetY: 0, scrollHeight: 0 };
  const view = Math.max(0, viewportHeight);
  const maxTop = Math.max(0, scrollHeight - view);
  const top = Math.min(Math.max(0, scrollTop), maxTop);
  // Where the top edge falls in the uncompressed content.
  const realTop = scrollHeight === fullHeight || maxTop === 0 ? top : (top / maxTop) * Math.max(0, fullHeight - view);
  const firstVisible = Math.min(total - 1, Math.floor(realTop / rowHeight));
  const visibleCount = Math.ceil(view / rowHeight) + 1;
  const start = Math.max(0, firstVisible - overscan);
  const end = Math.min(total, firstVisible + visibleCount + overscan);
  const offsetY = top - (realTop - start * rowHeight);
  return { start, end, offsetY, scrollHeight };
}

/** The scrollTop that brings row `index` to the top of the viewport (inverse of the mapping above). */
export function scrollTopForRow(index: number, viewportHeight: number, rowHeight: number, total: number): number {
  const fullHeight = total * rowHeight;
  const scrollHeight = Math.min(fullHeight, MAX_SCROLL_PX);
  const view = Math.max(0, viewportHeight);
  const maxTop = Math.max(0, scrollHeight - view);
  const realTop = Math.max(0, Math.min(index * rowHeight, fullHeight - view));
  if (scrollHeight === fullHeight) return Math.min(realTop, maxTop);
  const maxReal = Math.max(1, fullHeight - view);
  return (realTop / maxReal) * maxTop;
}

/** Page numbers (of `pageSize` rows) that cover rows [start, end). */
export function pagesFor(start: number, end: number, pageSize: number): number[] {
  if (end <= start) return [];
  const first = Math.floor(start / pageSize);
  const last = Math.floor((end - 1) / pageSize);
  const out: number[] = [];
  for (let p = first; p <= last; p++) out.push(p);
  return out;
}

/** A column of a VirtualTable: `width` is a CSS grid track ("140px", "minmax(180px, 1fr)"). */
export interface Column {
  key: string;
  label: string;
  width: string;
  align?: 'left' | 'right';
  sortable?: boolean;
  title?: string;
}

/** The smallest width the columns need, so a narrow window scrolls sideways instead of squashing. */
export function minTableWidth(columns: readonly Column[]): number {
  let sum = 0;
  for (const c of columns) {
    const m = /(\d+(?:\.\d+)?)px/.exec(c.width);
    sum += m ? Number(m[1]) : 80;
  }
  return sum;
}
