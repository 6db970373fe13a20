// `npm run screenshot`: the README's picture of the playground, taken in headless Chromium.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlayground } from '../src/server';
import { launchChromium } from '../test/browser';

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'bgstore-shot-'));
  const server = await startPlayground({ port: 0, dataDir });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 640 } });
    await page.goto(`${server.url}?user=alice`);
    const board = page.frameLocator('[data-slot="board"] iframe');
    await board.getByRole('button', { name: 'Add' }).click({ timeout: 15_000 });
    await board.getByRole('button', { name: 'Add' }).click();
    await board.getByRole('button', { name: 'Advance Card 1' }).click();
    await board.getByRole('button', { name: 'Take Card 1' }).click();
    await page.waitForTimeout(1500);
    const out = join(__dirname, '..', '..', '..', 'docs', 'playground.png');
    await page.screenshot({ path: out });
    console.log(`wrote ${out}`);
  } finally {
    await browser.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
