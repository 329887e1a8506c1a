import { expect, test } from '@playwright/test';
import { serveUrl, watchConsole } from './helpers/console.ts';

test('the app loads over tunnelscope serve, opens the demo, and logs no console errors or warnings', async ({ page, request }) => {
  const { url, origin, token } = serveUrl();
  // Start from "nothing open" whatever earlier specs did: the app itself must open the demo.
  const closed = await request.post(`${origin}/api/case.close`, { data: {}, headers: { 'x-tunnelscope-token': token } });
  expect(await closed.json()).toEqual({ ok: true, value: null });
  const problems = watchConsole(page);
  const response = await page.goto(url);
  expect(response?.status()).toBe(200);
  await expect(page).toHaveTitle(/Tunnelscope$/);
  // The UI sets this once the case summary has loaded (see test/e2e/helpers/README.md).
  await expect(page.locator('[data-testid="app-ready"]')).toBeAttached();
  // The token leaves the address bar once the client has it.
  expect(new URL(page.url()).searchParams.has('token')).toBe(false);

  // The demo is the open investigation, and the page reaches the contract through its cookie.
  const current = await page.evaluate(async () => {
    const r = await fetch('./api/case.current', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    return (await r.json()) as { ok: boolean; value: { path: string; counts: { vpc_flows: number }; sources: unknown[] } | null };
  });
  expect(current.ok).toBe(true);
  expect(current.value?.path).toBe(process.env.TUNNELSCOPE_DEMO_PATH);
  expect(current.value?.sources.length).toBeGreaterThan(0);
  expect(current.value?.counts.vpc_flows).toBeGreaterThan(0);

  const info = await page.evaluate(async () => {
    const r = await fetch('./api/app.info', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    return (await r.json()) as { ok: boolean; value: { mode: string; demoAvailable: boolean } };
  });
  expect(info).toMatchObject({ ok: true, value: { mode: 'browser', demoAvailable: true } });

  // Let late renders, chart inits and the event stream settle before judging the console.
  await page.waitForTimeout(1500);
  expect(problems).toEqual([]);
  await page.screenshot({ path: test.info().outputPath('app-loaded.png'), fullPage: true });
});

test('a reload without ?token= keeps working through the HttpOnly session cookie', async ({ page }) => {
  const problems = watchConsole(page);
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  const { url, origin } = serveUrl();
  await page.goto(url);
  const cookies = await page.context().cookies(origin);
  const session = cookies.find((c) => c.name.startsWith('tunnelscope_token_'));
  expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  const again = await page.goto(`${origin}/`);
  expect(again?.status()).toBe(200);
  await expect(page.locator('[data-testid="app-ready"]')).toBeAttached();
  expect(await page.evaluate(() => document.cookie)).toBe('');
  await page.waitForTimeout(500);
  expect(problems).toEqual([]);
});
