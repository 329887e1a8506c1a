import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CaseSummary, ViewState } from '../../src-main/shared/domain.ts';
import { ViewSaver, Workbench } from '../../src-renderer/lib/state/workbench.svelte.ts';

const T0 = Date.parse('2026-03-14T09:00:00Z');
const H = 3_600_000;

function summary(path = '/cases/a.tscope', readOnly = false): CaseSummary {
  return {
    path,
    name: 'a',
    formatVersion: 1,
    readOnly,
    sources: [],
    counts: { vpc_flows: 1, tgw_flows: 0, metric_points: 0, vpn_events: 0, bgp_events: 0, config_objects: 0, quarantined: 0 },
    timeMin: new Date(T0).toISOString(),
    timeMax: new Date(T0 + 2 * H).toISOString(),
    tunnels: [],
    unattributedSeries: [],
    analyzedAt: null,
  };
}

describe('Workbench time window', () => {
  it('derives the full range from the case and shows it when nothing is brushed', () => {
    const wb = new Workbench();
    expect(wb.visibleRange).toBeNull();
    wb.openCase(summary());
    expect(wb.fullRange).toEqual({ from: T0, to: T0 + 2 * H });
    expect(wb.visibleRange).toEqual({ from: T0, to: T0 + 2 * H });
  });

  it('setWindow orders, clamps to the case keeping the width, and treats the whole case as no window', () => {
    const wb = new Workbench();
    wb.openCase(summary());
    wb.setWindow(T0 + 20 * 60_000, T0 + 10 * 60_000);
    expect(wb.window).toEqual({ from: T0 + 10 * 60_000, to: T0 + 20 * 60_000 });
    wb.setWindow(T0 - 5 * 60_000, T0 + 5 * 60_000); // 10 min wide, starts before the case
    expect(wb.window).toEqual({ from: T0, to: T0 + 10 * 60_000 });
    wb.setWindow(T0 + 2 * H - 60_000, T0 + 2 * H + 9 * 60_000);
    expect(wb.window).toEqual({ from: T0 + 2 * H - 10 * 60_000, to: T0 + 2 * H });
    wb.setWindow(T0 - H, T0 + 3 * H);
    expect(wb.window).toBeNull();
  });

  it('zoomTo adds a margin (at least a minute) and reset returns to the whole case', () => {
    const wb = new Workbench();
    wb.openCase(summary());
    wb.zoomTo(T0 + H, T0 + H + 20 * 60_000);
    expect(wb.window).toEqual({ from: T0 + H - 5 * 60_000, to: T0 + H + 25 * 60_000 });
    wb.zoomTo(T0 + H, T0 + H + 1000);
    expect(wb.window!.from).toBe(T0 + H - 60_000);
    wb.resetWindow();
    expect(wb.window).toBeNull();
  });

  it('pans a zoomed window by a fraction of its width and stops at the case edge', () => {
    const wb = new Workbench();
    wb.openCase(summary());
    wb.setWindow(T0 + H, T0 + H + 10 * 60_000);
    wb.pan(0.5);
    expect(wb.window).toEqual({ from: T0 + H + 5 * 60_000, to: T0 + H + 15 * 60_000 });
    wb.pan(-100);
    expect(wb.window).toEqual({ from: T0, to: T0 + 10 * 60_000 });
  });
});

describe('Workbench filter', () => {
  it('drops empty values and never stores time in the filter; effectiveFilter adds the window', () => {
    const wb = new Workbench();
    wb.openCase(summary());
    wb.setFilter({ cidr: '10.0.0.0/16', port: undefined, from: '2026-01-01T00:00:00Z', path: '' });
    expect(wb.filter).toEqual({ cidr: '10.0.0.0/16' });
    expect(wb.filterActive).toBe(true);
    expect(wb.effectiveFilter).toEqual({ cidr: '10.0.0.0/16' });
    wb.setWindow(T0, T0 + 60_000);
    expect(wb.effectiveFilter).toEqual({ cidr: '10.0.0.0/16', from: new Date(T0).toISOString(), to: new Date(T0 + 60_000).toISOString() });
    wb.setFilter({ port: 443 });
    expect(wb.filter).toEqual({ cidr: '10.0.0.0/16', port: 443 });
  });

  it('Esc clears the selection first, then the filter, then the zoom', () => {
    const wb = new Workbench();
    wb.openCase(summary());
    wb.setWindow(T0, T0 + 60_000);
    wb.setFilter({ port: 443 });
    wb.selectFinding('f1', { tunnelIp: '1.2.3.4' });
    expect(wb.clearOne()).toBe(true);
    expect([wb.selectedFindingId, wb.highlight, wb.filterActive, !!wb.window]).toEqual([null, null, true, true]);
    expect(wb.clearOne()).toBe(true);
    expect([wb.filterActive, !!wb.window]).toEqual([false, true]);
    expect(wb.clearOne()).toBe(true);
    expect(wb.window).toBeNull();
    expect(wb.clearOne()).toBe(false);
  });

  it('showConversations sets filter and window together and switches the tab', () => {
    const wb = new Workbench();
    wb.openCase(summary());
    wb.showConversations({ path: '198.51.100.7', state: 'half-open' }, { from: T0 + H, to: T0 + H + 5 * 60_000 });
    expect(wb.tab).toBe('conversations');
    expect(wb.filter).toEqual({ path: '198.51.100.7', state: 'half-open' });
    expect(wb.window).toEqual({ from: T0 + H, to: T0 + H + 5 * 60_000 });
  });
});

describe('Workbench view state', () => {
  it('round-trips through toViewState / applyViewState', () => {
    const a = new Workbench();
    a.openCase(summary());
    a.setWindow(T0 + 600_000, T0 + 1_200_000);
    a.setFilter({ port: 443, action: 'REJECT' });
    a.selectFinding('finding-1');
    a.seek(T0 + 900_000);
    a.setSpeed(60);
    a.timeZone = 'local';
    const v = a.toViewState();
    expect(v).toEqual({
      from: new Date(T0 + 600_000).toISOString(),
      to: new Date(T0 + 1_200_000).toISOString(),
      filter: { port: 443, action: 'REJECT' },
      replayAt: new Date(T0 + 900_000).toISOString(),
      replaySpeed: 60,
      selectedFindingId: 'finding-1',
      timeZone: 'local',
    });
    const b = new Workbench();
    b.openCase(summary(), v);
    expect(b.toViewState()).toEqual(v);
    expect(b.playing).toBe(false);
  });

  it('opening another case resets per-case state; the same case changing keeps it', () => {
    const wb = new Workbench();
    wb.openCase(summary());
    wb.setWindow(T0, T0 + 60_000);
    wb.openCase({ ...summary(), name: 'renamed' });
    expect(wb.window).not.toBeNull();
    wb.openCase(summary('/cases/b.tscope'));
    expect(wb.window).toBeNull();
    expect(wb.caseSummary?.path).toBe('/cases/b.tscope');
  });

  describe('ViewSaver (autosave of the view state)', () => {
    beforeEach(() => vi.useFakeTimers());
    afterEach(() => vi.useRealTimers());

    const view = (port?: number): ViewState => ({ from: null, to: null, filter: port === undefined ? {} : { port }, replayAt: null, replaySpeed: 10, selectedFindingId: null, timeZone: 'utc' });

    it('does not save the state a case opened with, then saves the last change once, debounced', async () => {
      const saved: ViewState[] = [];
      const s = new ViewSaver(async (v) => void saved.push(v), 500, 5000);
      s.offer('/a.tscope', view());
      await vi.advanceTimersByTimeAsync(1000);
      expect(saved).toEqual([]);
      s.offer('/a.tscope', view(22));
      await vi.advanceTimersByTimeAsync(300);
      s.offer('/a.tscope', view(443));
      await vi.advanceTimersByTimeAsync(499);
      expect(saved).toEqual([]);
      await vi.advanceTimersByTimeAsync(2);
      expect(saved.map((v) => v.filter)).toEqual([{ port: 443 }]);
      s.offer('/a.tscope', view(443));
      await vi.advanceTimersByTimeAsync(1000);
      expect(saved).toHaveLength(1);
    });

    it('saves at most maxWait late while the state changes every frame (replay)', async () => {
      const saved: ViewState[] = [];
      const s = new ViewSaver(async (v) => void saved.push(v), 500, 2000);
      s.offer('/a.tscope', view());
      for (let i = 1; i <= 150; i++) {
        s.offer('/a.tscope', view(i));
        await vi.advanceTimersByTimeAsync(16);
      }
      expect(saved.length).toBeGreaterThanOrEqual(1);
      expect(saved.length).toBeLessThanOrEqual(2);
    });

    it('a new case starts a new baseline; a failed save is retried on the next change', async () => {
      let fail = true;
      const saved: ViewState[] = [];
      const s = new ViewSaver(async (v) => {
        if (fail) throw new Error('io');
        saved.push(v);
      }, 100);
      s.offer('/a.tscope', view());
      s.offer('/a.tscope', view(1));
      await vi.advanceTimersByTimeAsync(200);
      fail = false;
      s.offer('/a.tscope', view(1));
      await vi.advanceTimersByTimeAsync(200);
      expect(saved.map((v) => v.filter)).toEqual([{ port: 1 }]);
      s.offer('/b.tscope', view(7));
      await vi.advanceTimersByTimeAsync(200);
      expect(saved).toHaveLength(1);
    });
  });
});
