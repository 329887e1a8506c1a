/**
 * ECharts lifecycle, wrapped once: init with the app theme and the screen's pixel ratio, follow
 * the element's size, switch theme in place, dispose. The host listens for 'finished' before any
 * setOption (a listener added later can miss the first render) and mirrors it on the element as
 * data-chart-rendered="<count>", which end-to-end tests wait on.
 */
import { echarts, themeNames, type EChartsType } from './echarts.ts';
import type { ThemeName } from './palette.ts';

export class ChartHost {
  readonly chart: EChartsType;
  #observer: ResizeObserver | null = null;
  #frame = 0;
  #renders = 0;
  #finished = new Set<() => void>();
  #disposed = false;

  constructor(
    readonly el: HTMLElement,
    theme: ThemeName,
  ) {
    this.chart = echarts.init(el, themeNames[theme], {
      renderer: 'canvas',
      devicePixelRatio: typeof window !== 'undefined' ? window.devicePixelRatio || 1 : 1,
    });
    this.chart.on('finished', () => {
      this.#renders++;
      el.dataset.chartRendered = String(this.#renders);
      for (const cb of this.#finished) cb();
    });
    if (typeof ResizeObserver !== 'undefined') {
      this.#observer = new ResizeObserver(() => this.#scheduleResize());
      this.#observer.observe(el);
    }
  }

  /** Called after every completed render. Returns an unsubscribe function. */
  onFinished(cb: () => void): () => void {
    this.#finished.add(cb);
    return () => this.#finished.delete(cb);
  }

  setTheme(theme: ThemeName): void {
    if (!this.#disposed) this.chart.setTheme(themeNames[theme]);
  }

  #scheduleResize(): void {
    if (this.#frame || this.#disposed) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      if (!this.#disposed) this.chart.resize();
    });
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#frame) cancelAnimationFrame(this.#frame);
    this.#observer?.disconnect();
    this.#finished.clear();
    this.chart.dispose();
  }
}
