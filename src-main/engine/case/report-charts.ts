/**
 * Timeline charts for the report, rendered server-side by ECharts to SVG strings (no DOM, no
 * scripts in the output). Only the chart types and components used here are registered.
 */
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkAreaComponent, TitleComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import type { Finding } from '../../shared/domain.ts';
import type { Point, ReportData } from './report-data.ts';

echarts.use([LineChart, BarChart, GridComponent, LegendComponent, TitleComponent, MarkAreaComponent, SVGRenderer]);

const WIDTH = 960;
const PALETTE = ['#2563eb', '#d97706', '#059669', '#7c3aed', '#db2777', '#0891b2'];

/** Labels come from the case file: keep them to characters an id or address can have. */
export const safeLabel = (s: string): string => s.replace(/[^\w.:/@ -]/g, '').slice(0, 80);

const pairs = (ps: Point[], sign = 1) => ps.map((p) => [p.t, sign * p.v]);

function markAreas(findings: Finding[], kinds: string[]) {
  const data = findings
    .filter((f) => kinds.includes(f.kind))
    .map((f) => [{ xAxis: Date.parse(f.start), name: '' }, { xAxis: Math.max(Date.parse(f.end), Date.parse(f.start) + 60_000) }]);
  return data.length ? { silent: true, itemStyle: { color: 'rgba(220, 38, 38, 0.10)' }, data } : undefined;
}

function render(option: Record<string, unknown>, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height });
  try {
    chart.setOption({ animation: false, backgroundColor: '#ffffff', textStyle: { fontFamily: 'system-ui, sans-serif' }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

const timeAxis = (min: number | undefined, max: number | undefined) => ({
  type: 'time',
  min,
  max,
  axisLabel: { formatter: (v: number) => new Date(v).toISOString().slice(11, 16), hideOverlap: true },
});

function span(d: ReportData): [number | undefined, number | undefined] {
  return [d.timeMin ? Date.parse(d.timeMin) : undefined, d.timeMax ? Date.parse(d.timeMax) : undefined];
}

/** Bytes in above the axis and bytes out mirrored below it, one colour per tunnel; red bands: tunnel findings. */
export function tunnelChart(d: ReportData): string | null {
  if (d.tunnels.length === 0) return null;
  const [min, max] = span(d);
  const series: Record<string, unknown>[] = [];
  d.tunnels.forEach((t, i) => {
    const color = PALETTE[i % PALETTE.length];
    const label = safeLabel(`${t.tunnelIp}`);
    series.push({ name: `${label} in`, type: 'line', step: 'end', symbol: 'none', areaStyle: { opacity: 0.25 }, lineStyle: { width: 1.5 }, color, data: pairs(t.bytesIn) });
    series.push({ name: `${label} out`, type: 'line', step: 'end', symbol: 'none', areaStyle: { opacity: 0.12 }, lineStyle: { width: 1.5, type: 'dashed' }, color, data: pairs(t.bytesOut, -1) });
  });
  const marks = markAreas(d.findings, ['tunnel-down', 'ecmp-active', 'asymmetric-return', 'route-change']);
  if (marks && series[0]) series[0].markArea = marks;
  return render(
    {
      title: { text: 'Tunnel traffic (CloudWatch TunnelDataIn above, TunnelDataOut below), bytes per period', left: 8, top: 6, textStyle: { fontSize: 13 } },
      legend: { top: 30, left: 8, itemWidth: 14, itemGap: 18, textStyle: { fontSize: 11 } },
      grid: { left: 70, right: 20, top: 64, bottom: 30 },
      xAxis: timeAxis(min, max),
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => humanBytes(Math.abs(v)) } },
      series,
    },
    300,
  );
}

export function rejectChart(d: ReportData): string | null {
  if (!d.rejects) return null;
  const [min, max] = span(d);
  return render(
    {
      title: { text: 'Rejected flow records per minute (VPC flow logs)', left: 8, textStyle: { fontSize: 13 } },
      grid: { left: 70, right: 20, top: 40, bottom: 30 },
      xAxis: timeAxis(min, max),
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ name: 'rejects', type: 'bar', barMaxWidth: 6, color: '#dc2626', data: pairs(d.rejects.points), markArea: markAreas(d.findings, ['reject-burst']) }],
    },
    200,
  );
}

export function handshakeChart(d: ReportData): string | null {
  if (!d.handshake || d.handshake.synNoSynAck.length + d.handshake.halfOpen.length === 0) return null;
  const [min, max] = span(d);
  return render(
    {
      title: { text: 'TCP handshake failures per minute (conversations by first record)', left: 8, top: 6, textStyle: { fontSize: 13 } },
      legend: { top: 30, left: 8, textStyle: { fontSize: 11 } },
      grid: { left: 70, right: 20, top: 64, bottom: 30 },
      xAxis: timeAxis(min, max),
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { name: 'SYN without SYN-ACK', type: 'bar', stack: 'hs', barMaxWidth: 6, color: '#ea580c', data: pairs(d.handshake.synNoSynAck), markArea: markAreas(d.findings, ['syn-no-synack', 'half-open', 'asymmetric-return']) },
        { name: 'half-open', type: 'bar', stack: 'hs', barMaxWidth: 6, color: '#a16207', data: pairs(d.handshake.halfOpen) },
      ],
    },
    220,
  );
}

export function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}
