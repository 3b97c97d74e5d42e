import { test, expect, hydrated, seed } from './fixtures';

/**
 * Many assets at once (issue 19): rows selected with the keyboard and with Shift for a
 * range, all of the page at once, then one bulk delete with one Undo that brings them all
 * back; a bulk action says what it could not do.
 */
test('select with the keyboard and Shift, delete in bulk, undo once', async ({ page }) => {
  const prefix = `bulk-${Date.now().toString(36)}-`;
  const names = ['a', 'b', 'c', 'd', 'e'].map((n) => `${prefix}${n}.txt`);
  for (const n of names) await seed(page.request, n, 'RECEIVED');
  await page.goto(`/assets?q=${encodeURIComponent(prefix)}`);
  await hydrated(page);
  const box = (n: string) => page.getByRole('checkbox', { name: `Select ${n}` });

  // The keyboard: Tab to a box, Space checks it.
  await box(names[0]).focus();
  await page.keyboard.press('Space');
  await expect(box(names[0])).toBeChecked();
  // Shift-click: every row from the last one clicked.
  await box(names[3]).click({ modifiers: ['Shift'] });
  for (const n of names.slice(0, 4)) await expect(box(n)).toBeChecked();
  await expect(box(names[4])).not.toBeChecked();
  const bar = page.getByRole('region', { name: 'Selected assets' });
  await expect(bar).toContainText('4 selected');
  await expect(page.getByTestId('select-all')).toHaveJSProperty('indeterminate', true);

  // All of the page, then none, then back to the four.
  await page.getByTestId('select-all').check();
  await expect(bar).toContainText('5 selected');
  await page.getByTestId('select-all').uncheck();
  await expect(bar).toHaveCount(0);
  await box(names[0]).check();
  await box(names[3]).click({ modifiers: ['Shift'] });
  await expect(bar).toContainText('4 selected');

  await bar.getByRole('button', { name: 'Delete' }).click();
  const toast = page.getByTestId('toast').filter({ hasText: 'Deleted 4 assets' });
  await expect(toast).toBeVisible();
  for (const n of names.slice(0, 4)) {
    await expect(page.locator('tr', { has: box(n) })).toHaveAttribute('data-status', 'DELETED');
  }
  await expect(page.locator('tr', { has: box(names[4]) })).toHaveAttribute('data-status', 'RECEIVED');
  await expect(bar).toHaveCount(0);

  // One Undo for the four.
  await toast.getByRole('button', { name: 'Undo' }).click();
  for (const n of names.slice(0, 4)) {
    await expect(page.locator('tr', { has: box(n) })).toHaveAttribute('data-status', 'RECEIVED');
  }
});

test('a bulk action says what it could not do, and does the rest', async ({ page }) => {
  const prefix = `mixed-${Date.now().toString(36)}-`;
  await seed(page.request, `${prefix}ready.txt`, 'RECEIVED');
  await seed(page.request, `${prefix}waiting.txt`, 'CREATED');
  await page.goto(`/assets?q=${encodeURIComponent(prefix)}`);
  await hydrated(page);
  await page.getByTestId('select-all').check();
  await page.getByRole('region', { name: 'Selected assets' }).getByRole('button', { name: 'Mark uploaded' }).click();
  await expect(page.getByTestId('toast').filter({ hasText: 'Marked uploaded 1 asset' })).toBeVisible();
  await expect(page.getByTestId('toast').filter({ hasText: `Not marked uploaded: ${prefix}waiting.txt` })).toBeVisible();
  const row = (n: string) => page.locator(`tr:has-text("${prefix}${n}")`);
  await expect(row('ready.txt')).toHaveAttribute('data-status', 'UPLOADED');
  await expect(row('waiting.txt')).toHaveAttribute('data-status', 'CREATED');
});

test('download in bulk fetches each file through its own link', async ({ page }) => {
  const prefix = `dl-${Date.now().toString(36)}-`;
  await seed(page.request, `${prefix}one.txt`, 'RECEIVED', 'first file');
  await seed(page.request, `${prefix}two.txt`, 'UPLOADED', 'second file');
  await page.goto(`/assets?q=${encodeURIComponent(prefix)}`);
  await hydrated(page);
  await page.getByTestId('select-all').check();
  // Each file through its own download link (a 303 to S3), one after another: none
  // through a bulk endpoint.
  const saved: string[] = [];
  page.on('download', (d) => saved.push(d.suggestedFilename()));
  await page.getByRole('region', { name: 'Selected assets' }).getByRole('button', { name: 'Download' }).click();
  await expect
    .poll(() => [...saved].sort(), { timeout: 10_000 })
    .toEqual([`${prefix}one.txt`, `${prefix}two.txt`].sort());
});

test('share links are made in bulk, one per file, shown once to copy', async ({ page, browser }) => {
  const prefix = `share-${Date.now().toString(36)}-`;
  await seed(page.request, `${prefix}one.txt`, 'RECEIVED', 'first shared');
  await seed(page.request, `${prefix}two.txt`, 'UPLOADED', 'second shared');
  await page.goto(`/assets?q=${encodeURIComponent(prefix)}`);
  await hydrated(page);
  await page.getByTestId('select-all').check();
  const bar = page.getByRole('region', { name: 'Selected assets' });
  await bar.getByLabel('Share links valid for').selectOption({ label: 'for 1 day' });
  await bar.getByRole('button', { name: 'Share' }).click();
  const links = page.getByRole('region', { name: 'New share links' });
  for (const [n, body] of [['one', 'first shared'], ['two', 'second shared']]) {
    const url = await links.getByLabel(`Share link of ${prefix}${n}.txt`).inputValue();
    expect(url).toMatch(/\/s\/[A-Za-z0-9_-]{43}$/);
    const stranger = await browser.newContext();
    const opened = await stranger.request.get(url);
    expect(await opened.text()).toBe(body);
    await stranger.close();
  }
  await links.getByRole('button', { name: 'Done' }).click();
  await expect(links).toHaveCount(0);
});
