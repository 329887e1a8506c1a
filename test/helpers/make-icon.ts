/**
 * Renders resources/build/icon.svg to resources/build/icon.png (1024 × 1024, transparent corners)
 * with Debian's Chromium, for electron-builder (it derives the macOS and Windows icons from it)
 * and the Linux window icon. Run after editing the SVG:  npx tsx test/helpers/make-icon.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const dir = join(import.meta.dirname ?? 'test/helpers', '../../resources/build');

async function main(): Promise<void> {
  const svg = readFileSync(join(dir, 'icon.svg'), 'utf8');
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
  try {
    const page = await browser.newPage({ viewport: { width: 1024, height: 1024 } });
    await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
    await page.locator('svg').screenshot({ path: join(dir, 'icon.png'), omitBackground: true });
  } finally {
    await browser.close();
  }
  console.log(`wrote ${join(dir, 'icon.png')}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
