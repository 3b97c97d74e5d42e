import { test, expect, hydrated, seed, allowConsoleErrors } from './fixtures';

/**
 * Share links that can be taken back (issue 19): made on the asset's page, opened by
 * someone else (a 303 to the file, fetched from S3), counted on the page, revoked, and then
 * refused with a page that says so.
 */
test('a share link is used, counted, revoked and then refused', async ({ page, browser }) => {
  const id = await seed(page.request, 'shared-notes.txt', 'UPLOADED', 'notes worth sharing');
  await page.goto(`/assets/${id}`);
  await hydrated(page);
  const panel = page.getByRole('region', { name: 'Share links' });
  await expect(panel.getByTestId('share-none')).toBeVisible();

  await panel.getByLabel('Valid for').selectOption({ label: '7 days' });
  await panel.getByLabel('Downloads allowed').fill('2');
  await panel.getByRole('button', { name: 'Create share link' }).click();
  const address = panel.getByLabel('New share link');
  await expect(address).toHaveValue(/\/s\/[A-Za-z0-9_-]{43}$/);
  const url = await address.inputValue();
  const rows = panel.getByTestId('share-row');
  await expect(rows).toHaveCount(1);
  await expect(rows.first().getByTestId('share-uses')).toHaveText('0 of 2');

  // Someone else, signed in or not, opens it: the file comes from S3.
  const stranger = await browser.newContext();
  const opened = await stranger.request.get(url, { maxRedirects: 0 });
  expect(opened.status()).toBe(303);
  const file = await stranger.request.get(opened.headers()['location']);
  expect(file.status()).toBe(200);
  expect(await file.text()).toBe('notes worth sharing');

  // The owner sees the use.
  await page.reload();
  await hydrated(page);
  await expect(rows.first().getByTestId('share-uses')).toHaveText('1 of 2');
  await expect(rows.first().getByTestId('share-state')).toHaveText('active');

  await rows.first().getByRole('button', { name: /^Revoke/ }).click();
  await expect(rows.first().getByTestId('share-state')).toHaveText('revoked');
  await expect(rows.first().getByRole('button', { name: /^Revoke/ })).toHaveCount(0);

  // Refused from then on, with a page that says why.
  const strangerPage = await stranger.newPage();
  allowConsoleErrors(strangerPage, /status of 410/);
  const refused = await strangerPage.goto(url);
  expect(refused?.status()).toBe(410);
  await expect(strangerPage.getByRole('heading', { level: 1 })).toHaveText('This link no longer works');
  await expect(strangerPage.getByRole('alert')).toContainText('revoked');
  await stranger.close();
  // And not counted.
  await page.reload();
  await hydrated(page);
  await expect(rows.first().getByTestId('share-uses')).toHaveText('1 of 2');
});

test('an unknown share link is a 404 page, without any script', async ({ page }) => {
  const scripts: string[] = [];
  page.on('request', (r) => {
    if (['script', 'fetch', 'other'].includes(r.resourceType()) && !r.url().endsWith('.svg')) scripts.push(r.url());
  });
  const res = await page.goto('/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Link not found');
  await expect(page.locator('header.site-header')).toHaveCSS('display', 'flex');
  expect(scripts).toEqual([]);
});
