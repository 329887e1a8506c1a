/**
 * The workbench's time-centric views against `tunnelscope serve` with the demo case: the timeline
 * draws, selecting the asymmetric-tunnel finding zooms the timeline to it and emphasises the
 * tunnel, replay steps move the playhead and the tunnel tiles follow, keyboard shortcuts work,
 * and every view is screenshotted (light, dark, 1280×800) with no console errors or warnings.
 */
import { expect, test, type Page } from '@playwright/test';
import { serveUrl, watchConsole } from './helpers/console.ts';

// A browser zone that is not UTC, so "UTC by default" and the local toggle are both visible.
test.use({ timezoneId: 'America/New_York' });

interface FindingLite {
  id: string;
  kind: string;
  start: string;
  end: string;
  subject: { tunnel_ip?: string };
}

async function api<T>(page: Page, channel: string, args: unknown = {}): Promise<T> {
  const r = await page.evaluate(
    async ([c, a]) => {
      const res = await fetch(`./api/${c}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(a) });
      return (await res.json()) as { ok: boolean; value: unknown; error?: { message: string } };
    },
    [channel, args] as const,
  );
  if (!r.ok) throw new Error(`${channel}: ${r.error?.message}`);
  return r.value as T;
}

async function rendered(page: Page): Promise<number> {
  return Number((await page.getByTestId('timeline-chart').getAttribute('data-chart-rendered')) ?? 0);
}

async function windowOf(page: Page): Promise<{ from: number; to: number }> {
  const tl = page.getByTestId('timeline');
  return { from: Number(await tl.getAttribute('data-window-from')), to: Number(await tl.getAttribute('data-window-to')) };
}

async function tiles(page: Page): Promise<string> {
  const all = await page.getByTestId('tunnel-tile').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-tunnel')}:${e.getAttribute('data-state')}:${e.textContent?.replace(/\s+/g, ' ').trim()}`));
  return all.join(' | ');
}

test('timeline, findings and replay work together on the demo case', async ({ page }, info) => {
  test.setTimeout(120_000);
  const problems = watchConsole(page);
  const shot = (name: string) => page.screenshot({ path: info.outputPath(`${name}.png`), fullPage: true });
  await page.goto(serveUrl().url);
  await expect(page.getByTestId('app-ready')).toBeAttached();
  await page.evaluate(() => localStorage.setItem('tunnelscope.theme', 'light'));
  // start from a clean view: no saved window/selection from an earlier run (a read-only case keeps none anyway)
  const current = await api<{ readOnly: boolean }>(page, 'case.current');
  if (!current.readOnly) await api(page, 'view.save', { from: null, to: null, filter: {}, replayAt: null, replaySpeed: 10, selectedFindingId: null, timeZone: 'utc' });
  await page.reload();
  await expect(page.getByTestId('app-ready')).toBeAttached();

  // the timeline draws the whole case
  await expect.poll(() => rendered(page)).toBeGreaterThan(0);
  await expect(page.getByTestId('timeline-range')).toContainText('Whole case');
  await expect(page.getByTestId('timeline-range')).toContainText('UTC');
  const whole = await windowOf(page);
  expect(whole.to).toBeGreaterThan(whole.from);
  await expect(page.getByTestId('finding-row').first()).toBeVisible();
  await page.waitForTimeout(300);
  await shot('01-overview-light');

  // open the finding for the asymmetric tunnel: the timeline zooms to it and the tunnel is emphasised
  const findings = await api<FindingLite[]>(page, 'findings.list');
  const asym = findings.find((f) => f.kind === 'asymmetric-return');
  expect(asym, `the demo has an asymmetric-return finding (kinds: ${findings.map((f) => f.kind).join(', ')})`).toBeTruthy();
  const before = await rendered(page);
  await page.locator(`[data-testid="finding-row"][data-finding-id="${asym!.id}"]`).click();
  await expect(page.getByTestId('finding-detail')).toHaveAttribute('data-finding-id', asym!.id);
  await expect(page.getByTestId('timeline-range')).toContainText('Window');
  const fStart = Date.parse(asym!.start);
  const fEnd = Date.parse(asym!.end);
  await expect.poll(async () => (await windowOf(page)).to - (await windowOf(page)).from).toBeLessThan(whole.to - whole.from);
  const zoomed = await windowOf(page);
  expect(zoomed.from).toBeLessThanOrEqual(fStart);
  expect(zoomed.to).toBeGreaterThanOrEqual(Math.min(fEnd, whole.to));
  // the margin around the finding is modest: the finding fills a good part of the window
  expect(fEnd - fStart).toBeGreaterThan((zoomed.to - zoomed.from) * 0.3);
  await expect.poll(() => rendered(page)).toBeGreaterThan(before);
  if (asym!.subject.tunnel_ip) await expect(page.locator(`[data-testid="tunnel-tile"][data-tunnel="${asym!.subject.tunnel_ip}"]`)).toHaveClass(/hl/);
  await page.waitForTimeout(400);
  await shot('02-finding-asymmetric-zoomed');

  // evidence: raw records
  await page.getByTestId('finding-records').click();
  await expect(page.getByTestId('raw-records').or(page.locator('.detail .error'))).toBeVisible();
  await shot('03-finding-raw-records');

  // replay: place the playhead at the finding's start, step a few buckets; the tiles follow
  await page.getByRole('button', { name: 'Put playhead at its start' }).click();
  await expect(page.getByTestId('replay-at')).toContainText('UTC');
  await expect(page.getByTestId('tunnel-tile').first()).not.toHaveAttribute('data-state', /^$/);
  const seen = new Set<string>();
  await expect.poll(() => tiles(page)).not.toContain('—');
  seen.add(await tiles(page));
  const replay = page.getByTestId('replay');
  for (let i = 0; i < 12 && seen.size < 2; i++) {
    const at = await replay.getAttribute('data-at');
    await page.getByTestId('replay-step').click();
    await expect(replay).not.toHaveAttribute('data-at', at ?? '');
    await page.waitForTimeout(450); // snapshots are throttled
    seen.add(await tiles(page));
  }
  expect(seen.size, `tiles over the steps: ${[...seen].join(' || ')}`).toBeGreaterThan(1);
  await shot('04-replay-stepped');

  // play with the keyboard (space), at 60×, and check the frame rate; pause again
  await page.getByTestId('replay-speed').selectOption('60');
  await page.getByTestId('replay-step').focus(); // space on a focused button must still mean play/pause, once
  const atBefore = Number(await replay.getAttribute('data-at'));
  await page.keyboard.press('Space');
  await expect(replay).toHaveAttribute('data-playing', 'true');
  await page.waitForTimeout(2000);
  const fps = Number(await replay.getAttribute('data-fps'));
  await page.keyboard.press('Space');
  await expect(replay).toHaveAttribute('data-playing', 'false');
  const atAfter = Number(await replay.getAttribute('data-at'));
  expect(atAfter - atBefore).toBeGreaterThan(60_000); // ~2 s at 60× ≈ 2 incident minutes
  expect(fps, 'replay frame rate').toBeGreaterThanOrEqual(10);
  await shot('05-replay-played');

  // arrows step, "/" focuses the filter, Esc clears the selection
  const atStep = Number(await replay.getAttribute('data-at'));
  await page.keyboard.press('ArrowRight');
  await expect.poll(async () => Number(await replay.getAttribute('data-at'))).toBeGreaterThan(atStep);
  await page.keyboard.press('/');
  await expect(page.locator('[data-filter-input]')).toBeFocused();
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('finding-detail')).toHaveCount(0);

  // brush to zoom: drag across the first lane
  await page.getByTestId('timeline-reset').click();
  await expect(page.getByTestId('timeline-range')).toContainText('Whole case');
  const box = (await page.getByTestId('timeline-chart').boundingBox())!;
  const y = box.y + 60;
  await page.mouse.move(box.x + box.width * 0.35, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.45, y, { steps: 8 });
  await page.mouse.move(box.x + box.width * 0.55, y, { steps: 8 });
  await page.mouse.up();
  await expect(page.getByTestId('timeline-range')).toContainText('Window');
  const brushed = await windowOf(page);
  expect(brushed.to - brushed.from).toBeLessThan((whole.to - whole.from) * 0.4);
  await page.waitForTimeout(500);
  await shot('06-brushed');

  // the other panels, each screenshotted
  for (const tab of ['conversations', 'sources', 'sql', 'notes', 'findings'] as const) {
    await page.getByTestId(`tab-${tab}`).click();
    await page.waitForTimeout(700);
    await shot(`07-tab-${tab}`);
  }

  // local time, dark theme, small screen
  await page.getByTestId('tz-local').click();
  await expect(page.getByTestId('timeline-range')).toContainText('America/New_York');
  await page.waitForTimeout(500);
  await shot('08-local-time');
  await page.getByTestId('tz-utc').click();
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.waitForTimeout(500);
  await shot('08-dark-utc');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForTimeout(600);
  await page.screenshot({ path: info.outputPath('09-dark-1280x800-viewport.png') });
  await page.getByTestId('theme-toggle').click();
  await page.waitForTimeout(500);
  await page.screenshot({ path: info.outputPath('10-light-1280x800-viewport.png') });

  // the view state went into the case (debounced autosave)
  if (!current.readOnly) {
    await expect
      .poll(async () => (await api<{ replayAt: string | null; replaySpeed: number } | null>(page, 'view.get'))?.replaySpeed, { timeout: 10_000 })
      .toBe(60);
    expect((await api<{ replayAt: string | null }>(page, 'view.get')).replayAt).not.toBeNull();
  }

  await page.waitForTimeout(500);
  expect(problems).toEqual([]);
});

test('4K screen (devicePixelRatio 2) stays readable', async ({ browser }, info) => {
  const ctx = await browser.newContext({ viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 2 });
  const page = await ctx.newPage();
  const problems = watchConsole(page);
  await page.goto(serveUrl().url);
  await expect(page.getByTestId('app-ready')).toBeAttached();
  await expect.poll(() => rendered(page)).toBeGreaterThan(0);
  await page.waitForTimeout(500);
  await page.screenshot({ path: info.outputPath('4k-dpr2.png') });
  const canvas = page.getByTestId('timeline-chart').locator('canvas').first();
  const [cssW, pxW] = await canvas.evaluate((c: HTMLCanvasElement) => [c.clientWidth, c.width]);
  expect(pxW).toBeGreaterThanOrEqual(cssW * 2 - 1); // drawn at device resolution, not upscaled
  expect(problems).toEqual([]);
  await ctx.close();
});
