/**
 * Builds the timeline's ECharts option: stacked lanes in ONE chart (one grid per lane) on one
 * shared time axis, each source drawn at its own granularity as bands (flat steps / rectangles),
 * finding bands shaded across every lane, a playhead, and an overview strip under a dataZoom
 * slider for focus + context. Pure: data and view state in, option out.
 */
import type { Band, EpochMs, Series, TimelineEvent, TimelineResult } from '../../../src-main/shared/domain.ts';
import type { CustomSeriesRenderItemAPI } from 'echarts';
import type { EChartsCoreOption } from 'echarts/core';
import { palettes, type Palette, type ThemeName } from '../../lib/charts/palette.ts';
import { formatBytes, formatCount, formatDuration, formatTime, zoneLabel, type TimeZoneMode } from '../../lib/state/time.ts';
import type { Highlight, TimeWindow } from '../../lib/state/workbench.svelte.ts';
import { bandAt, bandRate, bandsToSteps, maxAbs } from './range.ts';

export type LaneKind = 'bytes' | 'state' | 'flows' | 'rejects' | 'handshake' | 'events';

export interface LaneSeries {
  id: string;
  label: string;
  color: string;
  bands: readonly Band[];
  /** Plotted as bytes per second (byte series) or as the raw count per band. */
  rate: boolean;
  /** Drawn below the axis. */
  mirrored: boolean;
}

export interface Lane {
  id: string;
  kind: LaneKind;
  title: string;
  top: number;
  height: number;
  gridIndex: number;
  series: LaneSeries[];
  tunnel?: { vpnId: string; tunnelIp: string; label: string };
  /** state lane rows / events lane rows */
  rows?: string[];
  events?: TimelineEvent[];
  stateRows?: { label: string; bands: readonly Band[] }[];
}

export interface TimelineInput {
  result: TimelineResult;
  overview: TimelineResult | null;
  full: TimeWindow;
  window: TimeWindow | null;
  timeZone: TimeZoneMode;
  theme: ThemeName;
  highlight: Highlight | null;
  selectedFindingId: string | null;
  replayAt: EpochMs | null;
  /** CSS px per rem, so the chart scales with the UI font size. */
  rem: number;
  /** Short lanes for small screens (1280×800): the replay bar and panels stay in reach. */
  compact?: boolean;
  /** Mutable hover position the tooltip reads to know which lane the pointer is in. */
  hover: { y: number; gridWidth: number };
}

export interface BuiltTimeline {
  option: EChartsCoreOption;
  height: number;
  lanes: Lane[];
  mainAxes: number[];
  decoIds: string[];
  overviewTop: number;
}

const DIRECTION_IN = /(^|[^a-z])(in|ingress|rx|reverse|inbound|dst)$/i;

export function isInbound(s: Series): boolean {
  return DIRECTION_IN.test(s.key) || DIRECTION_IN.test(s.label.trim());
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function stateWord(v: number | null | undefined): 'up' | 'down' | 'partly up' | 'unknown' {
  if (v === null || v === undefined || v < 0 || !Number.isFinite(v)) return 'unknown';
  if (v >= 0.999) return 'up';
  if (v <= 0.001) return 'down';
  return 'partly up';
}

function stateColor(p: Palette, v: number): string {
  const w = stateWord(v);
  return w === 'up' ? p.up : w === 'down' ? p.down : w === 'partly up' ? p.synNoSynAck : p.unknown;
}

export function eventColor(p: Palette, kind: string): string {
  if (/down|timeout|withdraw|fail|delete|error|dead/i.test(kind)) return p.down;
  if (/path|change|update|flap/i.test(kind)) return p.synNoSynAck;
  if (/(^|-)up$|advert|establish/i.test(kind)) return p.up;
  return p.textMuted;
}

/** Lanes from a timeline result, laid out top to bottom in px. */
export function layoutLanes(result: TimelineResult, rem: number, p: Palette, compact = false): { lanes: Lane[]; bottom: number } {
  const big = compact ? 2.8 : 4;
  const small = compact ? 2.1 : 2.8;
  const lanes: Lane[] = [];
  const titleH = 1.3 * rem;
  let y = 0.4 * rem;
  const add = (lane: Omit<Lane, 'top' | 'gridIndex'>) => {
    y += titleH;
    lanes.push({ ...lane, top: Math.round(y), gridIndex: lanes.length });
    y += lane.height;
  };
  for (const t of result.tunnels) {
    add({
      id: `tunnel:${t.vpnId}:${t.tunnelIp}`,
      kind: 'bytes',
      title: `${t.label.replace(/[{}|]/g, '')} — bytes/s: {k0|▲ out} = AWS sends to the CGW · {k1|▼ in} = AWS receives from the CGW`,
      height: Math.round(big * rem),
      tunnel: t,
      series: [
        { id: `out:${t.vpnId}:${t.tunnelIp}`, label: 'out (AWS → customer gateway)', color: p.out, bands: t.bytesOut.bands, rate: true, mirrored: false },
        { id: `in:${t.vpnId}:${t.tunnelIp}`, label: 'in (customer gateway → AWS)', color: p.in, bands: t.bytesIn.bands, rate: true, mirrored: true },
      ],
    });
  }
  if (result.tunnels.length) {
    add({
      id: 'state',
      kind: 'state',
      title: 'Tunnel state (green up · amber up part of the bucket · red down · grey no data)',
      height: Math.round(Math.max(1, result.tunnels.length) * (compact ? 0.9 : 1.1) * rem),
      series: [],
      rows: result.tunnels.map(shortTunnelLabel),
      stateRows: result.tunnels.map((t) => ({ label: shortTunnelLabel(t), bands: t.state.bands })),
    });
  }
  if (result.flowBytes.length) {
    const mirrored = result.flowBytes.some(isInbound);
    add({
      id: 'flows',
      kind: 'flows',
      title: `Flow-log bytes/s by capture point and action${mirrored ? ' (inbound ▼ below the axis)' : ''}:`,
      height: Math.round(big * rem),
      series: result.flowBytes.map((s, i) => ({
        id: `flow:${s.key}`,
        label: s.label,
        color: p.series[i % p.series.length]!,
        bands: s.bands,
        rate: true,
        mirrored: isInbound(s),
      })),
    });
  }
  add({
    id: 'rejects',
    kind: 'rejects',
    title: 'Per bucket:',
    height: Math.round(small * rem),
    series: [
      { id: 'rejects', label: result.rejects.label || 'REJECT', color: p.reject, bands: result.rejects.bands, rate: false, mirrored: false },
      { id: 'tgwLost', label: result.tgwLost.label || 'TGW drops', color: p.tgwLost, bands: result.tgwLost.bands, rate: false, mirrored: false },
    ],
  });
  add({
    id: 'handshake',
    kind: 'handshake',
    title: 'TCP conversations per bucket:',
    height: Math.round(small * rem),
    series: [
      { id: 'halfOpen', label: result.halfOpen.label || 'half-open', color: p.halfOpen, bands: result.halfOpen.bands, rate: false, mirrored: false },
      { id: 'synNoSynAck', label: result.synNoSynAck.label || 'SYN without SYN-ACK', color: p.synNoSynAck, bands: result.synNoSynAck.bands, rate: false, mirrored: false },
    ],
  });
  add({
    id: 'events',
    kind: 'events',
    title: 'Events: tunnel log and BGP (hover for details)',
    height: Math.round(2.4 * rem),
    series: [],
    rows: ['Tunnel log', 'BGP'],
    events: result.events,
  });
  return { lanes, bottom: y };
}

/** The smallest 1/2/5 × 10^n at or above v (v > 0), so axis ticks land on round numbers. */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** A short, distinct row label for a tunnel: its outside IP (the VPN id is the same for both tunnels). */
export function shortTunnelLabel(t: { tunnelIp: string; label: string }): string {
  return t.tunnelIp || t.label;
}

/** A colour key after the lane title ("■ REJECT records ■ TGW drops"), as ECharts rich text. */
function legendText(lane: Lane): string {
  if (lane.kind !== 'flows' && lane.kind !== 'rejects' && lane.kind !== 'handshake') return '';
  const clean = (t: string) => t.replace(/[{}|]/g, '');
  return '   ' + lane.series.map((s, i) => `{k${i}|■} ${clean(s.label)}`).join('   ');
}

function legendRich(lane: Lane, fontSize: number): Record<string, unknown> {
  const rich: Record<string, unknown> = {};
  lane.series.forEach((s, i) => (rich[`k${i}`] = { color: s.color, fontSize: fontSize + 2 }));
  return rich;
}

function eventRow(e: TimelineEvent): number {
  return /bgp|route|as-path|prefix/i.test(e.kind) || e.ref.table === 'bgp_events' ? 1 : 0;
}

function fmtValue(s: LaneSeries, b: Band | null): string {
  if (!b) return 'no data';
  const len = formatDuration(b.t1 - b.t0);
  if (s.rate) return `${formatBytes(bandRate(b))}/s <span class="tt-muted">(${formatBytes(b.v)} in ${len})</span>`;
  return `${formatCount(b.v)} <span class="tt-muted">in ${len}</span>`;
}

/** The tooltip for the lane under the pointer at time t. */
export function tooltipHtml(lane: Lane | null, t: EpochMs, tz: TimeZoneMode, p: Palette, toleranceMs: number): string {
  const head = `<div class="tt-time">${esc(formatTime(t, tz))}</div>`;
  if (!lane) return head;
  const rows: string[] = [];
  const dot = (c: string) => `<span class="tt-dot" style="background:${c}"></span>`;
  if (lane.kind === 'state') {
    for (const r of lane.stateRows ?? []) {
      const b = bandAt(r.bands, t);
      const w = stateWord(b?.v);
      rows.push(`${dot(stateColor(p, b?.v ?? -1))}${esc(r.label)}: <b>${w}</b>`);
    }
  } else if (lane.kind === 'events') {
    const near = (lane.events ?? []).filter((e) => Math.abs(e.ts - t) <= toleranceMs).slice(0, 8);
    if (!near.length) rows.push('<span class="tt-muted">no event here — hover a marker</span>');
    for (const e of near) {
      const where = [e.vpnId, e.tunnelIp].filter(Boolean).join(' ');
      rows.push(
        `${dot(eventColor(p, e.kind))}<b>${esc(e.label)}</b> <span class="tt-muted">${esc(formatTime(e.ts, tz, { label: false, date: false }))}${where ? ' · ' + esc(where) : ''}</span>` +
          (e.details ? `<div class="tt-detail">${esc(e.details.slice(0, 300))}</div>` : ''),
      );
    }
  } else {
    if (lane.tunnel) rows.push(`<b>${esc(lane.tunnel.label)}</b>`);
    for (const s of lane.series) rows.push(`${dot(s.color)}${esc(s.label)}: ${fmtValue(s, bandAt(s.bands, t))}`);
  }
  return head + rows.map((r) => `<div class="tt-row">${r}</div>`).join('');
}

function bandScale(s: LaneSeries): (b: Band) => number {
  const sign = s.mirrored ? -1 : 1;
  return s.rate ? (b) => sign * bandRate(b) : (b) => sign * b.v;
}

/** Warning and critical findings are shaded; info findings only when selected (they would bury the lanes). */
function findingAreas(input: TimelineInput, p: Palette, withLabels: boolean): unknown[] {
  return input.result.findings.filter((f) => f.severity !== 'info' || f.id === input.selectedFindingId).map((f) => {
    const selected = f.id === input.selectedFindingId;
    const color = p.severity[f.severity] ?? p.severity.info;
    return [
      {
        name: withLabels && selected ? f.title : '',
        xAxis: f.start,
        itemStyle: { color, opacity: selected ? 0.17 : 0.09, borderColor: selected ? color : 'transparent', borderWidth: selected ? 1 : 0 },
        label: { show: withLabels && selected, position: 'insideTopLeft', color: p.text, fontSize: 11 },
      },
      { xAxis: Math.max(f.end, f.start + 1000) },
    ];
  });
}

export function buildTimeline(input: TimelineInput): BuiltTimeline {
  const p = palettes[input.theme];
  const rem = input.rem;
  const { lanes, bottom } = layoutLanes(input.result, rem, p, input.compact);
  const left = Math.round(6 * rem);
  const right = Math.round(1.2 * rem);
  const axisLabelH = Math.round(1.7 * rem);
  const overviewTop = Math.round(bottom + axisLabelH + 0.5 * rem);
  const overviewH = Math.round(2.4 * rem);
  const height = overviewTop + overviewH + Math.round(1.6 * rem);
  const fontSize = Math.round(0.72 * rem);
  const hl = input.highlight;
  const isHighlighted = (l: Lane) => !!hl && !!l.tunnel && (!hl.tunnelIp || hl.tunnelIp === l.tunnel.tunnelIp) && (!hl.vpnId || hl.vpnId === l.tunnel.vpnId);
  const dimOthers = !!hl && lanes.some(isHighlighted);

  const grids: unknown[] = [];
  const xAxes: unknown[] = [];
  const yAxes: unknown[] = [];
  const series: unknown[] = [];
  const titles: unknown[] = [];
  const decoIds: string[] = [];
  const win = input.window ?? input.full;

  lanes.forEach((lane, i) => {
    const last = i === lanes.length - 1;
    const emph = isHighlighted(lane);
    const dim = dimOthers && lane.kind === 'bytes' && !emph;
    grids.push({ left, right, top: lane.top, height: lane.height, show: emph, borderColor: emph ? p.out : 'transparent', borderWidth: emph ? 2 : 0, backgroundColor: 'transparent' });
    titles.push({
      text: (emph ? '● ' : '') + lane.title + legendText(lane),
      left: left,
      top: lane.top - Math.round(1.2 * rem),
      textStyle: { fontSize, fontWeight: emph ? 'bold' : 'normal', color: emph ? p.out : dim ? p.textMuted : p.text, rich: legendRich(lane, fontSize) },
    });
    xAxes.push({
      type: 'time',
      gridIndex: i,
      min: input.full.from,
      max: input.full.to,
      axisLabel: { show: last, fontSize, hideOverlap: true },
      axisTick: { show: last },
      axisLine: { show: true, onZero: lane.kind === 'bytes' || lane.kind === 'flows' },
      splitLine: { show: true },
      name: last ? `time (${zoneLabel(input.timeZone)})` : '',
      nameLocation: 'end',
      nameGap: 6,
      nameTextStyle: { fontSize, align: 'right', verticalAlign: 'top', padding: [Math.round(1.1 * rem), 0, 0, 0] },
    });
    const deco = `deco:${lane.id}`;
    decoIds.push(deco);

    // y scales follow what is on screen (not the fetch margin), so zooming in reveals small traffic
    const onScreen = (bands: readonly Band[]) => bands.filter((b) => b.t1 > win.from && b.t0 < win.to);
    if (lane.kind === 'bytes' || lane.kind === 'flows') {
      let m = 0;
      for (const s of lane.series) m = Math.max(m, maxAbs(onScreen(s.bands), bandScale(s)));
      m = niceCeil(m * 1.02);
      const anyMirrored = lane.series.some((s) => s.mirrored);
      yAxes.push({
        type: 'value',
        gridIndex: i,
        min: anyMirrored ? -m : 0,
        max: m,
        interval: anyMirrored ? m : m / 2,
        axisLabel: { fontSize, formatter: (v: number) => (v === 0 ? '0' : `${v < 0 ? '▼' : '▲'} ${formatBytes(Math.abs(v))}/s`) },
        splitLine: { show: true },
      });
      for (const s of lane.series) {
        series.push({
          id: `${lane.id}|${s.id}`,
          name: s.label,
          type: 'line',
          xAxisIndex: i,
          yAxisIndex: i,
          data: bandsToSteps(s.bands, bandScale(s)),
          showSymbol: false,
          connectNulls: false,
          animation: false,
          lineStyle: { width: 1.2, color: s.color, opacity: dim ? 0.3 : 1 },
          itemStyle: { color: s.color },
          areaStyle: { color: s.color, opacity: dim ? 0.08 : 0.3 },
          emphasis: { disabled: true },
          large: true,
        });
      }
    } else if (lane.kind === 'rejects' || lane.kind === 'handshake') {
      let m = 0;
      for (const s of lane.series) m = Math.max(m, maxAbs(onScreen(s.bands)));
      yAxes.push({
        type: 'value',
        gridIndex: i,
        min: 0,
        // counts: an even maximum so the middle tick is a whole number
        max: Math.max(2, 2 * Math.ceil(niceCeil(m) / 2)),
        interval: Math.max(1, Math.ceil(niceCeil(m) / 2)),
        axisLabel: { fontSize, formatter: (v: number) => formatCount(v) },
      });
      lane.series.forEach((s, k) => {
        const asBars = lane.kind === 'rejects' && k === 0;
        if (asBars) {
          series.push({
            id: `${lane.id}|${s.id}`,
            name: s.label,
            type: 'custom',
            z: 2,
            zlevel: 0,
            xAxisIndex: i,
            yAxisIndex: i,
            clip: true,
            animation: false,
            encode: { x: [0, 1], y: 2 },
            data: s.bands.filter((b) => b.v > 0).map((b) => [b.t0, b.t1, b.v]),
            renderItem: (_params: unknown, api: CustomSeriesRenderItemAPI) => {
              const a = api.coord([api.value(0), api.value(2)]);
              const b = api.coord([api.value(1), 0]);
              return {
                type: 'rect',
                shape: { x: a[0]!, y: a[1]!, width: Math.max(1, b[0]! - a[0]!), height: b[1]! - a[1]! },
                style: { fill: s.color, opacity: 0.75 },
              };
            },
          });
        } else {
          series.push({
            id: `${lane.id}|${s.id}`,
            name: s.label,
            type: 'line',
            xAxisIndex: i,
            yAxisIndex: i,
            data: bandsToSteps(s.bands),
            showSymbol: false,
            animation: false,
            lineStyle: { width: 1.5, color: s.color },
            itemStyle: { color: s.color },
            areaStyle: lane.kind === 'handshake' ? { color: s.color, opacity: 0.15 } : undefined,
            emphasis: { disabled: true },
          });
        }
      });
    } else if (lane.kind === 'state') {
      const rows = lane.stateRows ?? [];
      yAxes.push({
        type: 'category',
        gridIndex: i,
        data: rows.map((r) => r.label),
        inverse: true,
        axisLabel: { fontSize: Math.round(0.65 * rem), width: left - 8, overflow: 'truncate' },
        axisTick: { show: false },
        axisLine: { show: false },
        splitLine: { show: false },
      });
      const data: [number, number, number, number][] = [];
      rows.forEach((r, row) => {
        for (const b of r.bands) data.push([b.t0, b.t1, row, b.v]);
      });
      series.push({
        id: `${lane.id}|state`,
        name: 'tunnel state',
        type: 'custom',
        z: 2,
        zlevel: 0,
        xAxisIndex: i,
        yAxisIndex: i,
        clip: true,
        animation: false,
        encode: { x: [0, 1], y: 2 },
        data,
        renderItem: (_params: unknown, api: CustomSeriesRenderItemAPI) => {
          const row = api.value(2) as number;
          const a = api.coord([api.value(0), row]);
          const b = api.coord([api.value(1), row]);
          const h = (api.size!([0, 1]) as number[])[1]! * 0.7;
          const rowLabel = rows[row]?.label;
          const dimRow = dimOthers && !!rowLabel && !lanes.some((l) => isHighlighted(l) && !!l.tunnel && shortTunnelLabel(l.tunnel) === rowLabel);
          return {
            type: 'rect',
            shape: { x: a[0]!, y: a[1]! - h / 2, width: Math.max(1, b[0]! - a[0]!), height: h },
            style: { fill: stateColor(p, api.value(3) as number), opacity: dimRow ? 0.3 : 0.9 },
          };
        },
      });
    } else {
      yAxes.push({
        type: 'category',
        gridIndex: i,
        data: lane.rows,
        inverse: true,
        axisLabel: { fontSize: Math.round(0.65 * rem) },
        axisTick: { show: false },
        axisLine: { show: false },
        splitLine: { show: true },
      });
      series.push({
        id: `${lane.id}|events`,
        name: 'events',
        type: 'scatter',
        xAxisIndex: i,
        yAxisIndex: i,
        animation: false,
        symbolSize: Math.round(0.7 * rem),
        data: (lane.events ?? []).map((e) => ({
          value: [e.ts, eventRow(e)],
          symbol: eventRow(e) === 1 ? 'diamond' : /down|timeout/i.test(e.kind) ? 'triangle' : 'circle',
          itemStyle: { color: eventColor(p, e.kind), borderColor: p.background, borderWidth: 0.5 },
        })),
        emphasis: { scale: 1.6 },
      });
    }

    series.push({
      id: deco,
      type: 'line',
      xAxisIndex: i,
      yAxisIndex: i,
      data: [],
      silent: true,
      animation: false,
      markArea: { silent: true, data: findingAreas(input, p, i === 0) },
    });
  });

  // overview strip: the whole case at coarse resolution, under the dataZoom slider
  const ov = lanes.length;
  const ovResult = input.overview ?? input.result;
  const ovBands = overviewBands(ovResult);
  grids.push({ left, right, top: overviewTop, height: overviewH, show: false });
  xAxes.push({ type: 'time', gridIndex: ov, min: input.full.from, max: input.full.to, axisLabel: { show: false }, axisTick: { show: false }, splitLine: { show: false }, axisLine: { show: false } });
  yAxes.push({ type: 'value', gridIndex: ov, show: false, min: 0 });
  series.push({
    id: 'overview',
    type: 'line',
    xAxisIndex: ov,
    yAxisIndex: ov,
    data: bandsToSteps(ovBands, bandRate),
    showSymbol: false,
    silent: true,
    animation: false,
    lineStyle: { width: 1, color: p.textMuted },
    areaStyle: { color: p.textMuted, opacity: 0.25 },
    markArea: { silent: true, data: findingAreas({ ...input, result: ovResult, selectedFindingId: input.selectedFindingId }, p, false) },
  });
  titles.push({ text: 'Whole case (drag the handles to move the window)', left, top: overviewTop - Math.round(1.1 * rem), textStyle: { fontSize: Math.round(0.65 * rem), color: p.textMuted, fontWeight: 'normal' } });

  const mainAxes = lanes.map((_, i) => i);
  const tz = input.timeZone;
  const laneAtY = (y: number): Lane | null => lanes.find((l) => y >= l.top - 1.3 * rem && y <= l.top + l.height + 2) ?? null;

  const option = {
    useUTC: tz === 'utc',
    animation: false,
    textStyle: { fontSize },
    title: titles,
    grid: grids,
    xAxis: xAxes,
    yAxis: yAxes,
    series,
    axisPointer: { link: [{ xAxisIndex: mainAxes }], lineStyle: { color: p.axis }, label: { show: false } },
    tooltip: {
      trigger: 'axis',
      confine: true,
      transitionDuration: 0,
      // always the time axis, also in lanes whose y axis is a category (state, events)
      axisPointer: { type: 'line', axis: 'x', animation: false },
      className: 'ts-tooltip',
      formatter: (params: unknown) => {
        const list = (Array.isArray(params) ? params : [params]) as { axisValue?: number; axisDim?: string }[];
        const t = Number((list.find((x) => x.axisDim === 'x') ?? list[0])?.axisValue);
        const span = win.to - win.from;
        const tol = (span / Math.max(100, input.hover.gridWidth)) * 8;
        return tooltipHtml(laneAtY(input.hover.y), t, tz, p, tol);
      },
    },
    brush: {
      xAxisIndex: mainAxes,
      // the brush only selects a time range to zoom to; no series gets in/out-of-brush visuals
      // (those re-render custom series without a z and ECharts warns in the console)
      seriesIndex: [],
      brushType: 'lineX',
      brushMode: 'single',
      transformable: false,
      removeOnClick: true,
      throttleType: 'debounce',
      throttleDelay: 150,
      brushStyle: { color: p.brush, borderColor: p.out, borderWidth: 1 },
      outOfBrush: { colorAlpha: 1 },
    },
    dataZoom: [
      {
        id: 'inside',
        type: 'inside',
        xAxisIndex: mainAxes,
        filterMode: 'none',
        startValue: win.from,
        endValue: win.to,
        zoomOnMouseWheel: true,
        moveOnMouseMove: 'shift',
        moveOnMouseWheel: 'shift',
        minValueSpan: 10_000,
      },
      {
        id: 'slider',
        type: 'slider',
        xAxisIndex: mainAxes,
        filterMode: 'none',
        startValue: win.from,
        endValue: win.to,
        top: overviewTop,
        height: overviewH,
        left,
        right,
        showDataShadow: false,
        backgroundColor: 'transparent',
        borderColor: p.axis,
        fillerColor: p.brush,
        minValueSpan: 10_000,
        labelFormatter: (v: number) => formatTime(v, tz, { label: false, precision: 'minute' }),
        textStyle: { fontSize: Math.round(0.65 * rem), color: p.textMuted },
        brushSelect: false,
      },
    ],
  };
  return { option, height, lanes, mainAxes, decoIds, overviewTop };
}

/** A single "total traffic" band series for the overview strip. */
export function overviewBands(r: TimelineResult): Band[] {
  const source: Series[] = r.tunnels.length ? r.tunnels.flatMap((t) => [t.bytesIn, t.bytesOut]) : r.flowBytes;
  const sums = new Map<number, Band>();
  for (const s of source) {
    for (const b of s.bands) {
      const cur = sums.get(b.t0);
      if (cur) cur.v += b.v;
      else sums.set(b.t0, { t0: b.t0, t1: b.t1, v: b.v });
    }
  }
  return [...sums.values()].sort((a, b) => a.t0 - b.t0);
}
