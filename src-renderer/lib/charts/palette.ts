/**
 * Colours for charts, per theme. Lanes take semantic colours from here (out/in, up/down, severity)
 * so both themes stay readable and a direction keeps its colour in every lane.
 */
export type ThemeName = 'light' | 'dark';

export interface Palette {
  text: string;
  textMuted: string;
  axis: string;
  grid: string;
  background: string;
  tooltipBg: string;
  tooltipBorder: string;
  out: string;
  in: string;
  up: string;
  down: string;
  unknown: string;
  reject: string;
  halfOpen: string;
  synNoSynAck: string;
  tgwLost: string;
  playhead: string;
  brush: string;
  severity: { info: string; warning: string; critical: string };
  /** For series without a semantic colour (capture points). */
  series: string[];
}

export const palettes: Record<ThemeName, Palette> = {
  light: {
    text: '#1d2733',
    textMuted: '#5b6878',
    axis: '#9aa6b4',
    grid: '#e3e8ee',
    background: '#ffffff',
    tooltipBg: 'rgba(255,255,255,0.97)',
    tooltipBorder: '#c6cfd9',
    out: '#1f6fd1',
    in: '#d9730d',
    up: '#2e9d4c',
    down: '#d1333b',
    unknown: '#b3bcc6',
    reject: '#c2272f',
    halfOpen: '#9c4dcc',
    synNoSynAck: '#e0a000',
    tgwLost: '#6b4a2f',
    playhead: '#111827',
    brush: 'rgba(31,111,209,0.15)',
    severity: { info: '#3b82f6', warning: '#e0a000', critical: '#d1333b' },
    series: ['#1f6fd1', '#d9730d', '#2e9d4c', '#9c4dcc', '#0f9ba8', '#c2508a', '#6b7d2f', '#8a6d3b'],
  },
  dark: {
    text: '#e6edf3',
    textMuted: '#9aa7b5',
    axis: '#5d6b7a',
    grid: '#27313c',
    background: '#12181f',
    tooltipBg: 'rgba(22,29,37,0.97)',
    tooltipBorder: '#3a4757',
    out: '#5ea3ff',
    in: '#ffa24d',
    up: '#4cc26d',
    down: '#ff5c63',
    unknown: '#5d6b7a',
    reject: '#ff5c63',
    halfOpen: '#c48cf0',
    synNoSynAck: '#ffcc33',
    tgwLost: '#c9a27e',
    playhead: '#f8fafc',
    brush: 'rgba(94,163,255,0.18)',
    severity: { info: '#5ea3ff', warning: '#ffcc33', critical: '#ff5c63' },
    series: ['#5ea3ff', '#ffa24d', '#4cc26d', '#c48cf0', '#3fd0dc', '#f07ab4', '#b5c95a', '#d4b27e'],
  },
};
