import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { haveChromium, launchChromium, NO_CHROMIUM } from './helpers/chromium';
import { registerUser } from './helpers/auth';
import { useTestApp } from './helpers/test-app';
import { itIf } from './helpers/skip';

const ARTIFACTS = join(__dirname, '..', 'test-artifacts');
const itWithChromium = itIf(haveChromium, NO_CHROMIUM);

describe('Swagger UI in a real browser (e2e)', () => {
  const t = useTestApp();
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  itWithChromium('authorises with a bearer token and executes GET /v1/tasks live', async () => {
    const { accessToken } = await registerUser(t.api);
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    await page.goto(`${t.baseUrl}/docs`);
    await page.locator('.swagger-ui .info .title').filter({ hasText: 'Taskwright API' }).waitFor();

    await page.locator('button.authorize').first().click();
    const modal = page.locator('.modal-ux');
    await modal.locator('input').first().fill(accessToken);
    await modal.locator('button.authorize').click();
    await modal.locator('button.btn-done, button.close-modal').first().click();

    const operation = page
      .locator('.opblock-get')
      .filter({ has: page.locator('[data-path="/v1/tasks"]') })
      .first();
    await operation.locator('.opblock-summary').first().click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('button.execute').click();
    const status = operation.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor();
    await status.scrollIntoViewIfNeeded();
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'swagger-ui-get-tasks.png'), fullPage: false });
    expect((await status.innerText()).trim()).toBe('200');
    const body = await operation.locator('.live-responses-table tbody .response-col_description pre.microlight').first().innerText();
    expect(JSON.parse(body)).toEqual({ data: [], nextCursor: null });
  });
});
