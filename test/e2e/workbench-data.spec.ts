/**
 * The data views through the UI, against `tunnelscope serve` in Debian's Chromium: import the demo
 * exports into a new investigation and watch progress complete, see the sources and their
 * quarantined lines, follow the time window in the conversations table and open a conversation's
 * raw lines, run SQL and copy it, add a note. Screenshots of every view (light and dark) go to
 * test-results/<this test>/. No console errors or warnings are allowed during the whole run.
 *
 * The exports come from resources/demo/ (npm run demo:build); when that is not built, the same
 * generator writes a one-hour incident (plus a few corrupted lines) under test-results/.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { serveUrl, watchConsole } from './helpers/console.ts';
import { ROOT } from './helpers/serve.ts';


async function demoExports(): Promise<string> {
  const demo = join(ROOT, 'resources/demo');
  if (existsSync(join(demo, 'export'))) return join(demo, 'export'); // next to it: truth.json, not an AWS export
  if (existsSync(demo) && readdirSync(demo).length) return demo;
  const dir = join(ROOT, 'test-results/e2e-exports');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { generateScenario, corruptExport } = await import('../helpers/generator/index.ts');
  await generateScenario({ scenarios: ['ecmp-asymmetric', 'sg-reject'], start: '2026-11-20T13:00:00Z', hours: 1, seed: 7 }, dir);
  await corruptExport(dir, { seed: 3 });
  return dir;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight)); // the panels sit below the timeline
  await page.waitForTimeout(250); // let transitions (progress bars) settle
  await page.screenshot({ path: test.info().outputPath(`${name}.png`) });
}

async function bothThemes(page: Page, name: string): Promise<void> {
  await shot(page, `${name}-light`);
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await shot(page, `${name}-dark`);
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
}

/** The panel sits below the timeline: scroll it into view so screenshots show the view itself. */
async function openTab(page: Page, tab: string, view: string): Promise<void> {
  await page.getByTestId(`tab-${tab}`).click();
  await expect(page.getByTestId(view)).toBeVisible();
  await page.getByTestId(`tab-${tab}`).scrollIntoViewIfNeeded();
  await page.evaluate(() => window.scrollBy(0, 10_000));
}

/** The first rows of the conversations table overlap [from, to] (a minute of slack for record granularity). */
async function expectRowsWithin(page: Page, from: number, to: number): Promise<void> {
  const rows = page.getByTestId('conv-table').locator('[role=row][data-index]');
  await expect(rows.first()).toBeVisible();
  // When every row is on one day the date is in the status line and cells hold the time of day.
  const dayBadge = page.getByTestId('conv-day');
  const day = (await dayBadge.count()) ? /\d{4}-\d{2}-\d{2}/.exec(await dayBadge.innerText())![0] : null;
  const at = (text: string, ref: string | null) => Date.parse(`${text.length > 8 ? text.slice(0, 10) : ref}T${text.slice(-8)}Z`);
  for (const row of (await rows.all()).slice(0, 10)) {
    const cells = (await row.locator('[role=gridcell]').allInnerTexts()).map((c) => c.trim());
    const first = at(cells[0]!, day);
    const last = at(cells[1]!, cells[0]!.length > 8 ? cells[0]!.slice(0, 10) : day);
    expect(last).toBeGreaterThanOrEqual(from - 60_000);
    expect(first).toBeLessThanOrEqual(to + 60_000);
  }
}


// The server is shared by every e2e file: leave it on the demo, as the global setup opened it.
test.afterEach(async ({ page }) => {
  await page.evaluate(async () => {
    await fetch('./api/case.openDemo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  });
});

test('workbench data views: import, sources, conversations, SQL, notes', async ({ page, context }) => {
  test.setTimeout(240_000);
  const exportsDir = await demoExports();
  const problems = watchConsole(page);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: serveUrl().origin });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(serveUrl().url);
  await expect(page.getByTestId('app-ready')).toBeAttached();

  // ---- Sources: a new investigation, import the exports through the path field -------------
  await openTab(page, 'sources', 'sources-view');
  await page.getByTestId('case-new').click();
  await expect(page.getByTestId('sources-table')).toHaveAttribute('data-total', '0');
  await page.getByTestId('import-path').fill(exportsDir);
  await page.getByTestId('import-start').click();
  const job = page.getByTestId('import-job').first();
  await expect(job).toBeVisible();
  await expect(job.getByRole('progressbar', { name: 'Whole import' })).toBeVisible();
  await shot(page, '00-import-started'); // usually still running: per-file bars, ETA, Cancel
  await expect(job).toHaveAttribute('data-state', 'done', { timeout: 180_000 });
  await expect(job.getByRole('progressbar', { name: 'Whole import' })).toHaveAttribute('aria-valuenow', '100');
  await expect(page.getByTestId('sources-table')).not.toHaveAttribute('data-total', '0');
  const sourceCount = Number(await page.getByTestId('sources-table').getAttribute('data-total'));
  expect(sourceCount).toBeGreaterThan(3);
  await bothThemes(page, '01-sources-imported');

  // Quarantined lines: click the first non-zero count and see file, line and reason.
  const quarantineLink = page.getByTestId('sources-table').getByRole('button', { name: /^\s*[\d,]+\s*$/ }).first();
  if (await quarantineLink.count()) {
    await quarantineLink.click();
    const table = page.getByTestId('quarantine-table');
    await expect(table.locator('tbody tr').first()).toBeVisible();
    const firstRow = await table.locator('tbody tr').first().locator('td').allInnerTexts();
    expect(firstRow[0]).toMatch(/\S/); // file
    expect(firstRow[2]).toMatch(/\S/); // reason
    await shot(page, '02-quarantine');
    await page.locator('dialog footer').getByRole('button', { name: 'Close' }).click();
    await expect(table).toBeHidden();
  }

  // ---- Conversations: whole case, then a narrower window ------------------------------------
  await openTab(page, 'conversations', 'conversations-view');
  const total = page.getByTestId('conv-total');
  await expect(total).toHaveText(/^[\d,]+ conversations$/, { timeout: 60_000 });
  const count = async () => Number((await total.innerText()).replace(/\D/g, ''));
  await expect.poll(count).toBeGreaterThan(0);
  const all = await count();
  await bothThemes(page, '03-conversations-all');

  // Brush the timeline: drag across the middle of the chart; the window and the table follow.
  const fromBefore = await page.getByTestId('conv-from').inputValue();
  let brushed = false;
  try {
    const chart = page.getByTestId('timeline-chart');
    await chart.waitFor({ state: 'visible', timeout: 15_000 });
    await chart.scrollIntoViewIfNeeded();
    const box = (await chart.boundingBox())!;
    const y = box.y + 60; // the first lane
    await page.mouse.move(box.x + box.width * 0.45, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, y, { steps: 8 });
    await page.mouse.move(box.x + box.width * 0.55, y, { steps: 8 });
    await page.mouse.up();
    await expect(page.getByTestId('conv-from')).not.toHaveValue(fromBefore, { timeout: 5000 });
    brushed = true;
  } catch {
    brushed = false;
  }
  test.info().annotations.push({ type: 'window', description: brushed ? 'brushed on the timeline' : 'typed into the filter bar (the timeline did not take the drag)' });
  if (!brushed) {
    const t0 = Date.parse(fromBefore.replace(' ', 'T') + 'Z');
    const t1 = Date.parse((await page.getByTestId('conv-to').inputValue()).replace(' ', 'T') + 'Z');
    const iso = (t: number) => new Date(t).toISOString().slice(0, 19).replace('T', ' ');
    await page.getByTestId('conv-from').fill(iso(t0 + (t1 - t0) * 0.45));
    await page.getByTestId('conv-to').fill(iso(t0 + (t1 - t0) * 0.55));
    await page.getByTestId('conv-to').press('Enter');
  }
  await openTab(page, 'conversations', 'conversations-view');
  await expect.poll(count, { timeout: 30_000 }).toBeLessThan(all);
  await expect.poll(count).toBeGreaterThan(0);
  // Every row shown overlaps the window.
  const rows = page.getByTestId('conv-table').locator('[role=row][data-index]');
  const from = Date.parse((await page.getByTestId('conv-from').inputValue()).replace(' ', 'T') + 'Z');
  const to = Date.parse((await page.getByTestId('conv-to').inputValue()).replace(' ', 'T') + 'Z');
  await expect(() => expectRowsWithin(page, from, to)).toPass({ timeout: 15_000 });
  await shot(page, '04-conversations-window');

  // The replay playhead: step a few buckets in, pin the table to the playhead, and it shows the replay window.
  for (let i = 0; i < 5; i++) await page.getByTestId('replay-step').click(); // a few buckets into the case
  await page.getByLabel('at playhead').check();
  const scope = page.getByTestId('conv-scope');
  await expect(scope).toContainText('Active in the replay window');
  const m = /(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) – (?:(\d{4}-\d{2}-\d{2}) )?(\d{2}:\d{2}:\d{2})/.exec(await scope.innerText())!;
  const pFrom = Date.parse(`${m[1]}T${m[2]}Z`);
  const pTo = Date.parse(`${m[3] ?? m[1]}T${m[4]}Z`);
  expect(pTo - pFrom).toBeGreaterThanOrEqual(60_000);
  await expect(() => expectRowsWithin(page, pFrom, pTo)).toPass({ timeout: 15_000 });
  await shot(page, '04b-conversations-playhead');
  await page.getByLabel('at playhead').uncheck();
  await expect(page.getByTestId('conv-from')).toBeVisible();

  // A filter from the bar: port 443 only.
  await page.getByTestId('f-port').fill('443');
  await page.getByTestId('f-port').press('Enter');
  await expect(rows.first().locator('[role=gridcell]').nth(5)).toHaveText(/^443/);
  // Sorting by bytes (descending first).
  await page.getByTestId('conv-table').getByRole('button', { name: /^Bytes →/ }).click();
  await expect(page.getByTestId('conv-table').getByRole('columnheader', { name: /Bytes →/ })).toHaveAttribute('aria-sort', 'descending');

  // Detail pane: the raw flow-log lines with file and line.
  await rows.first().click();
  const detail = page.getByTestId('conv-detail');
  await expect(detail).toBeVisible();
  await expect(detail.locator('.raw').first()).toBeVisible({ timeout: 30_000 });
  await expect(detail.locator('.where').first()).toHaveText(/:\d+$/);
  await bothThemes(page, '05-conversation-detail');
  await page.getByTestId('f-clear').click();

  // ---- SQL ------------------------------------------------------------------------------------
  await openTab(page, 'sql', 'sql-view');
  const editor = page.getByTestId('sql-editor');
  // A library query only loads into the editor: no result appears by itself.
  await page.getByTestId('sql-lib-item').first().click();
  await expect(editor).not.toHaveValue(/Ctrl\/Cmd\+Enter runs/);
  await expect(page.getByTestId('sql-grid')).toHaveCount(0);
  await editor.fill('SELECT action, count(*) AS records, sum(bytes) AS bytes FROM vpc_flows GROUP BY action ORDER BY action');
  await editor.press('Control+Enter');
  await expect(page.getByTestId('sql-status')).toHaveText(/^\d+ rows? in \d+ ms/);
  const grid = page.getByTestId('sql-grid');
  await expect(grid.locator('[role=row][data-index]').first()).toBeVisible();
  await expect(grid.getByRole('columnheader')).toHaveText(['action', 'records', 'bytes']);
  await page.getByTestId('sql-copy-tsv').click();
  const tsv = await page.evaluate(() => navigator.clipboard.readText());
  expect(tsv.split('\r\n')[0]).toBe('action\trecords\tbytes');
  expect(tsv).toMatch(/ACCEPT\t\d+\t\d+/);
  await bothThemes(page, '06-sql');
  // A write is refused with the engine's sentence.
  await editor.fill('DELETE FROM vpc_flows');
  await page.getByTestId('sql-run').click();
  await expect(page.getByTestId('sql-error')).toHaveText(/read-only/i);
  await shot(page, '07-sql-error');

  // ---- Notes ------------------------------------------------------------------------------------
  await openTab(page, 'notes', 'notes-view');
  await page.getByTestId('note-text').fill('Return traffic for 172.16.10.0/24 arrives on tunnel 2 while on-prem routes via tunnel 1.');
  await page.getByTestId('note-tags').fill('asymmetry, tunnel-2');
  await page.getByTestId('note-add').click();
  const list = page.getByTestId('notes-list');
  await expect(list).toContainText('Return traffic for 172.16.10.0/24');
  await expect(list).toContainText('#tunnel-2');
  await page.getByTestId('export-report').click();
  await expect(page.getByTestId('export-out')).toHaveValue(/report\.html$/);
  await shot(page, '08-export-dialog');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await bothThemes(page, '09-notes');

  // The views must also read at 4K.
  await page.setViewportSize({ width: 3840, height: 2160 });
  await openTab(page, 'conversations', 'conversations-view');
  await shot(page, '10-conversations-4k');

  await page.waitForTimeout(500);
  expect(problems).toEqual([]);
});

test('the conversations table stays smooth at 1 million rows', async ({ page }) => {
  const problems = watchConsole(page);
  const TOTAL = 1_000_000;
  const base = Date.parse('2026-11-20T13:00:00Z');
  let requests = 0;
  // The engine's paging is replaced by a synthetic million-row answer: this measures the table, not DuckDB.
  await page.route('**/api/conversations.query', async (route) => {
    requests++;
    const { offset = 0, limit = 200 } = JSON.parse(route.request().postData() ?? '{}') as { offset?: number; limit?: number };
    const rows = Array.from({ length: Math.max(0, Math.min(limit, TOTAL - offset)) }, (_, k) => {
      const i = offset + k;
      const t = new Date(base + (i % 10_000) * 1000).toISOString();
      return {
        id: `c${i}`, protocol: 6, client: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, clientPort: 1024 + (i % 60_000), server: '172.16.20.10', serverPort: 443,
        state: 'completed', firstSeen: t, lastSeen: t, bytesFwd: i, bytesRev: 2 * i, packetsFwd: 1, packetsRev: 1, flagsFwd: 19, flagsRev: 19, action: 'ACCEPT',
        capturePoints: ['eni-0a7f3c91e2b4d5068'], paths: ['tgw-attach-0a1b2c3d4e5f6a7b8'],
      };
    });
    await route.fulfill({ contentType: 'application/json', body: JSON.stringify({ ok: true, value: { total: TOTAL, offset, rows } }) });
  });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(serveUrl().url);
  await expect(page.getByTestId('app-ready')).toBeAttached();
  await openTab(page, 'conversations', 'conversations-view');
  await expect(page.getByTestId('conv-total')).toHaveText('1,000,000 conversations');
  const table = page.getByTestId('conv-table');
  await expect(table.locator('[role=row][data-index="0"]')).toContainText('10.0.0.0');

  // Scroll through the whole range in 60 frames and time them; only a screenful of rows exists.
  const frames = await table.evaluate(async (el) => {
    const gaps: number[] = [];
    let last = performance.now();
    for (let k = 1; k <= 60; k++) {
      el.scrollTop = (el.scrollHeight - el.clientHeight) * (k / 60);
      await new Promise((r) => requestAnimationFrame(() => r(null)));
      const now = performance.now();
      gaps.push(now - last);
      last = now;
    }
    return { gaps, rows: el.querySelectorAll('[role=row][data-index]').length };
  });
  expect(frames.rows).toBeLessThan(80);
  const sorted = [...frames.gaps].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  test.info().annotations.push({ type: 'scroll frames', description: `median ${median.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms` });
  expect(median).toBeLessThan(50);
  // At the very end the last row is reachable and loads.
  await expect(table.locator(`[role=row][data-index="${TOTAL - 1}"]`)).toContainText(`10.15.66.63`);
  expect(requests).toBeLessThan(200); // pages, not rows
  await shot(page, '11-conversations-1m-end');
  await page.waitForTimeout(300);
  expect(problems).toEqual([]);
});
