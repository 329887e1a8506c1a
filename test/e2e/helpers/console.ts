import type { Page } from '@playwright/test';

/** Collects console errors/warnings and uncaught page errors from the moment it is attached. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

export function serveUrl(): { url: string; origin: string; token: string } {
  const url = process.env.TUNNELSCOPE_URL;
  if (!url) throw new Error('TUNNELSCOPE_URL is not set: the e2e global setup did not run.');
  return { url, origin: process.env.TUNNELSCOPE_ORIGIN!, token: process.env.TUNNELSCOPE_TOKEN! };
}
