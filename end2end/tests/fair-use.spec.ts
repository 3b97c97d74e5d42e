import { test, expect, hydrated, allowConsoleErrors, dropFiles, row } from './fixtures';
import { LIMITED_UPLOADS_PER_MINUTE } from '../playwright.config';

// Runs against the Ferry that takes LIMITED_UPLOADS_PER_MINUTE upload tickets a minute from
// one client (the `limited` project): files beyond it wait, say why, and then go up.
test('files beyond the upload limit wait for the next minute, then go up', async ({ page }) => {
  test.setTimeout(120_000);
  // Each refused ticket is a failed request in the console.
  allowConsoleErrors(page, /status of 429 \(Too Many Requests\)/);
  // Start early in a minute, so the first files surely share one.
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 40_000) await page.waitForTimeout(60_000 - intoMinute + 500);
  await page.goto('/');
  await hydrated(page);

  const names = Array.from({ length: LIMITED_UPLOADS_PER_MINUTE + 2 }, (_, i) => `paced-${i}.txt`);
  await dropFiles(
    page,
    names.map((name) => ({ name, type: 'text/plain', text: `file ${name}` })),
  );
  await expect(
    page.getByTestId('row-state').filter({ hasText: 'Waiting: upload limit reached' }).first(),
  ).toBeVisible({ timeout: 15_000 });
  await expect(page.getByTestId('row-state').filter({ hasText: 'Uploaded' })).toHaveCount(
    LIMITED_UPLOADS_PER_MINUTE,
  );
  for (const name of names) {
    await expect(row(page, name).getByTestId('row-state')).toHaveText('Uploaded', {
      timeout: 75_000,
    });
  }
});
