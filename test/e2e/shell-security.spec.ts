import { expect, test } from '@playwright/test';
import { serveUrl } from './helpers/console.ts';

test('the page carries a strict CSP as a header and as a meta tag', async ({ page }) => {
  const response = await page.goto(serveUrl().url);
  const csp = response?.headers()['content-security-policy'] ?? '';
  for (const directive of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-src 'none'", "form-action 'none'", "frame-ancestors 'none'", "connect-src 'self'"]) {
    expect(csp).toContain(directive);
  }
  expect(csp).not.toContain('unsafe-eval');
  expect(csp.split(';').find((d) => d.trim().startsWith('script-src'))).not.toContain('unsafe-inline');
  const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(meta).toContain("script-src 'self'");
  expect(response?.headers()['x-content-type-options']).toBe('nosniff');
  expect(response?.headers()['referrer-policy']).toBe('no-referrer');
});

test('CSP blocks inline script, eval, foreign frames and foreign connections', async ({ page }) => {
  await page.goto(serveUrl().url);
  const outcome = await page.evaluate(async () => {
    const violations: string[] = [];
    document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective));
    const w = window as unknown as Record<string, unknown>;
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    document.head.appendChild(s);
    // DevTools' evaluate may eval regardless of CSP, so let the page itself compile a string later.
    (window.setTimeout as unknown as (code: string, ms: number) => number)('window.__evalRan = true', 0);
    await new Promise((r) => setTimeout(r, 100));
    const evalRan = w.__evalRan === true;
    let fetchForeign = 'blocked';
    try {
      await fetch('http://192.0.2.1:9/steal');
      fetchForeign = 'reached';
    } catch {
      fetchForeign = 'blocked';
    }
    const frame = document.createElement('iframe');
    frame.src = 'http://192.0.2.1:9/';
    document.body.appendChild(frame);
    await new Promise((r) => setTimeout(r, 300));
    return { inlineRan: w.__inlineRan === true, evalRan, fetchForeign, violations };
  });
  expect(outcome.inlineRan).toBe(false);
  expect(outcome.evalRan).toBe(false);
  expect(outcome.fetchForeign).toBe('blocked');
  expect(outcome.violations).toEqual(expect.arrayContaining(['script-src-elem', 'script-src', 'connect-src', 'frame-src']));
});

test('no Node or Electron internals are reachable from the page', async ({ page }) => {
  await page.goto(serveUrl().url);
  const reach = await page.evaluate(() => {
    const w = window as unknown as Record<string, unknown>;
    return {
      require: typeof w.require,
      process: typeof w.process,
      module: typeof w.module,
      Buffer: typeof w.Buffer,
      global: typeof w.global,
      ipcRenderer: typeof w.ipcRenderer,
      api: typeof w.api,
    };
  });
  expect(reach).toEqual({ require: 'undefined', process: 'undefined', module: 'undefined', Buffer: 'undefined', global: 'undefined', ipcRenderer: 'undefined', api: 'undefined' });
});

test('the app offers no way to another origin: links, forms and base stay on this server', async ({ page }) => {
  const { url, origin } = serveUrl();
  await page.goto(url);
  await expect(page.locator('[data-testid="app-ready"]')).toBeAttached();
  const targets = await page.evaluate(() => ({
    links: Array.from(document.querySelectorAll('a[href], area[href]')).map((a) => (a as HTMLAnchorElement).href),
    forms: Array.from(document.querySelectorAll('form[action]')).map((f) => (f as HTMLFormElement).action),
    base: document.querySelector('base')?.href ?? null,
  }));
  for (const href of [...targets.links, ...targets.forms]) {
    const u = new URL(href);
    expect(u.origin === origin || u.protocol === 'blob:' || u.protocol === 'data:', `${href} leaves the app`).toBe(true);
  }
  expect(targets.base).toBeNull();

  // A form posted to another origin is refused by form-action 'none' (the page stays put).
  await page.evaluate(() => {
    const f = document.createElement('form');
    f.action = 'http://192.0.2.1:9/';
    f.method = 'post';
    document.body.appendChild(f);
    f.submit();
  });
  await page.waitForTimeout(300);
  expect(new URL(page.url()).origin).toBe(origin);
});

test('the server refuses requests without the token', async ({ playwright }) => {
  const { origin, token } = serveUrl();
  const anon = await playwright.request.newContext();
  for (const path of ['/', '/index.html', '/events']) expect((await anon.get(origin + path)).status()).toBe(401);
  expect((await anon.post(`${origin}/api/case.current`, { data: {} })).status()).toBe(401);
  expect((await anon.get(`${origin}/?token=${'0'.repeat(64)}`)).status()).toBe(401);
  const withToken = await anon.post(`${origin}/api/app.info`, { data: {}, headers: { 'x-tunnelscope-token': token } });
  expect(withToken.status()).toBe(200);
  expect(await withToken.json()).toMatchObject({ ok: true, value: { mode: 'browser' } });
  await anon.dispose();
});
