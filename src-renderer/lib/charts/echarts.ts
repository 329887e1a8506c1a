/**
 * The one place that loads ECharts: only the pieces the views use are registered (keeps the
 * bundle small), and the two app themes are registered once. Nothing here evaluates strings,
 * so it runs under the page's CSP (script-src 'self', no eval).
 */
import * as echarts from 'echarts/core';
import { BarChart, CustomChart, LineChart, ScatterChart } from 'echarts/charts';
import {
  AxisPointerComponent,
  BrushComponent,
  DataZoomComponent,
  GraphicComponent,
  GridComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { palettes, type ThemeName } from './palette.ts';

echarts.use([
  LineChart,
  BarChart,
  ScatterChart,
  CustomChart,
  GridComponent,
  TooltipComponent,
  AxisPointerComponent,
  DataZoomComponent,
  BrushComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TitleComponent,
  GraphicComponent,
  CanvasRenderer,
]);

function themeFor(name: ThemeName): Record<string, unknown> {
  const p = palettes[name];
  const axis = {
    axisLine: { lineStyle: { color: p.axis } },
    axisTick: { lineStyle: { color: p.axis } },
    axisLabel: { color: p.textMuted },
    splitLine: { lineStyle: { color: p.grid } },
    nameTextStyle: { color: p.textMuted },
  };
  return {
    color: p.series,
    backgroundColor: 'transparent',
    textStyle: { color: p.text, fontFamily: 'inherit' },
    title: { textStyle: { color: p.text }, subtextStyle: { color: p.textMuted } },
    timeAxis: axis,
    valueAxis: axis,
    categoryAxis: axis,
    tooltip: { backgroundColor: p.tooltipBg, borderColor: p.tooltipBorder, textStyle: { color: p.text } },
    dataZoom: {
      textStyle: { color: p.textMuted },
      borderColor: p.axis,
      fillerColor: p.brush,
      handleStyle: { color: p.background, borderColor: p.axis },
      moveHandleStyle: { color: p.axis },
    },
  };
}

export const themeNames: Record<ThemeName, string> = { light: 'tunnelscope-light', dark: 'tunnelscope-dark' };
echarts.registerTheme(themeNames.light, themeFor('light'));
echarts.registerTheme(themeNames.dark, themeFor('dark'));

export { echarts };
export type { EChartsType } from 'echarts/core';
