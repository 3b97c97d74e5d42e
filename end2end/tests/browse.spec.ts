import { test, expect, hydrated, allowConsoleErrors, seed, told } from './fixtures';
import type { Status } from './fixtures';
import { Page } from '@playwright/test';

/**
 * The browse and detail pages against the real server. Tests run in parallel against one
 * server, so each works inside its own file-name prefix (the search box scopes the view).
 */

function uniquePrefix(label: string): string {
  return `${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}-`;
}

function rowOf(page: Page, id: string) {
  return page.locator(`tr[data-asset-id="${id}"]`);
}

async function shownIds(page: Page): Promise<string[]> {
  return page
    .locator('tbody tr[data-asset-id]')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-asset-id')!));
}

test('seeded assets in every state appear with the right badges, also without JavaScript', async ({
  page,
  request,
  browser,
}) => {
  const prefix = uniquePrefix('states');
  const ids: Record<Status, string> = {
    CREATED: await seed(request, `${prefix}created.txt`, 'CREATED'),
    RECEIVED: await seed(request, `${prefix}received.txt`, 'RECEIVED'),
    UPLOADED: await seed(request, `${prefix}uploaded.txt`, 'UPLOADED'),
    DELETED: await seed(request, `${prefix}deleted.txt`, 'DELETED'),
  };
  await page.goto(`/assets?q=${prefix}`);
  await hydrated(page);
  for (const [status, id] of Object.entries(ids)) {
    const row = rowOf(page, id);
    await expect(row.locator('.badge')).toHaveText(status);
    await expect(row).toHaveAttribute('data-status', status);
  }
  // Downloads are offered only where they work; restore only for DELETED.
  await expect(rowOf(page, ids.UPLOADED).getByRole('link', { name: /^Download/ })).toBeVisible();
  await expect(rowOf(page, ids.CREATED).getByRole('link', { name: /^Download/ })).toHaveCount(0);
  await expect(rowOf(page, ids.DELETED).getByRole('button', { name: /^Restore/ })).toBeVisible();
  await expect(rowOf(page, ids.RECEIVED).getByRole('button', { name: /^Mark uploaded: / })).toBeVisible();
  // Sizes in human units, times relative with the exact time on hover.
  await expect(rowOf(page, ids.UPLOADED).locator('td[data-label=Size]')).toHaveText(/^\d+ B$/);
  await expect(rowOf(page, ids.UPLOADED).locator('td[data-label=Created] time')).toHaveAttribute(
    'title',
    /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/,
  );

  // The server-rendered page is complete on its own.
  const noJs = await browser.newContext({ javaScriptEnabled: false });
  const plain = await noJs.newPage();
  await plain.goto(`/assets?q=${prefix}`);
  for (const [status, id] of Object.entries(ids)) {
    await expect(rowOf(plain, id).locator('.badge')).toHaveText(status);
  }
  await noJs.close();
});

test('paging through 120 assets shows each exactly once, forwards and back', async ({
  page,
  request,
}) => {
  test.setTimeout(120_000);
  const prefix = uniquePrefix('paging');
  const mine: string[] = [];
  for (let i = 0; i < 120; i++) {
    const name = `${prefix}${String(i).padStart(3, '0')}.txt`;
    const res = await request.post('/asset', { data: { filename: name, content_type: 'text/plain' } });
    expect(res.status()).toBe(201);
    mine.push((await res.json()).id);
  }

  // The search lists by name: 25 per page, five pages.
  await page.goto(`/assets?q=${prefix}`);
  await hydrated(page);
  const pages: string[][] = [];
  for (;;) {
    pages.push(await shownIds(page));
    const next = page.getByRole('link', { name: 'Next ›' });
    if ((await next.count()) === 0) break;
    const before = page.url();
    await next.click();
    await expect(page).not.toHaveURL(before);
    await expect(page.locator('.listing')).toHaveAttribute('aria-busy', 'false');
  }
  expect(pages.map((p) => p.length)).toEqual([25, 25, 25, 25, 20]);
  expect(pages.flat()).toEqual(mine); // name order is creation order here: each exactly once
  // Previous walks the same pages back.
  for (let i = pages.length - 2; i >= 0; i--) {
    const before = page.url();
    await page.getByRole('link', { name: '‹ Previous' }).click();
    await expect(page).not.toHaveURL(before);
    await expect(page.locator('.listing')).toHaveAttribute('aria-busy', 'false');
    expect(await shownIds(page)).toEqual(pages[i]);
  }
  await expect(page.locator('.pager [rel=prev]')).toHaveCount(0);

  // The whole, unfiltered listing, newest first, 100 a page: mine each exactly once, in order,
  // among whatever other tests create meanwhile.
  await page.goto('/assets?limit=100');
  await hydrated(page);
  const seen: string[] = [];
  for (;;) {
    seen.push(...(await shownIds(page)));
    const next = page.getByRole('link', { name: 'Next ›' });
    if ((await next.count()) === 0) break;
    const before = page.url();
    await next.click();
    await expect(page).not.toHaveURL(before);
    await expect(page.locator('.listing')).toHaveAttribute('aria-busy', 'false');
  }
  expect(new Set(seen).size).toBe(seen.length);
  expect(seen.filter((id) => mine.includes(id))).toEqual([...mine].reverse());
});

test('filter and search narrow the list, and the URL round-trips', async ({ page, request }) => {
  const prefix = uniquePrefix('filter');
  const report = await seed(request, `${prefix}Report.txt`, 'UPLOADED');
  const notes = await seed(request, `${prefix}notes.txt`, 'CREATED');
  const reportDraft = await seed(request, `${prefix}report-draft.txt`, 'CREATED');

  await page.goto('/assets');
  await hydrated(page);
  // Typing searches as you go (case-insensitive prefix), listed by name.
  await page.getByLabel('Search by file name').fill(`${prefix}rep`);
  await expect(page).toHaveURL(new RegExp(`\\?q=${prefix}rep$`));
  // `report-draft` sorts before `Report.` ('-' < '.'), case-insensitively.
  await expect.poll(() => shownIds(page)).toEqual([reportDraft, report]);

  // Status narrows further.
  await page.getByLabel('Status').selectOption('created');
  await expect(page).toHaveURL(/status=created/);
  await expect.poll(() => shownIds(page)).toEqual([reportDraft]);

  // Order: Z→A.
  await page.getByLabel('Status').selectOption('');
  await page.getByLabel('Order').selectOption('name_desc');
  await expect(page).toHaveURL(/sort=name_desc/);
  await expect.poll(() => shownIds(page)).toEqual([report, reportDraft]);
  const shared = page.url();

  // Reloading the URL restores the view and its controls.
  await page.goto(shared);
  await hydrated(page);
  await expect.poll(() => shownIds(page)).toEqual([report, reportDraft]);
  await expect(page.getByLabel('Search by file name')).toHaveValue(`${prefix}rep`);
  await expect(page.getByLabel('Order')).toHaveValue('name_desc');

  // Back goes to the previous view, controls included.
  await page.getByLabel('Status').selectOption('created');
  await expect.poll(() => shownIds(page)).toEqual([reportDraft]);
  await page.goBack();
  await expect(page).toHaveURL(shared);
  await expect.poll(() => shownIds(page)).toEqual([report, reportDraft]);
  await expect(page.getByLabel('Status')).toHaveValue('');
  // Widening the search finds more (typing replaces the history entry rather than adding).
  await page.getByLabel('Search by file name').fill(`${prefix}`);
  await expect.poll(() => shownIds(page)).toEqual([report, reportDraft, notes]);

  // Nothing found: said plainly, with a way out.
  await page.getByLabel('Search by file name').fill(`${prefix}zzz`);
  await expect(page.getByTestId('empty')).toContainText('Nothing matches');
  // A URL naming nothing is refused with a clear message.
  allowConsoleErrors(page, /status of 400 \(Bad Request\)/);
  const bad = await page.goto('/assets?status=lost');
  expect(bad!.status()).toBe(400);
  await expect(page.getByRole('alert')).toContainText('lost');
});

test('download links return the original bytes, with the lifetime asked for', async ({
  page,
  request,
}) => {
  const prefix = uniquePrefix('download');
  const body = 'line one\nline two — ünïcødé\n'.repeat(80); // > 1 KB of text
  const id = await seed(request, `${prefix}notes.txt`, 'UPLOADED', body);
  await page.goto(`/assets/${id}`);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`${prefix}notes.txt`);
  const meta = page.getByTestId('metadata');
  await expect(meta).toContainText(`uploads/local/${id}/${prefix}notes.txt`);
  await expect(meta).toContainText('ObjectCreated:Put');
  await expect(meta).toContainText(`(${Buffer.byteLength(body)} bytes)`);

  // Text preview: the first kilobyte only.
  const preview = page.getByTestId('preview-text');
  await expect(preview).toContainText('line one');
  const shown = (await preview.textContent())!;
  expect(Buffer.byteLength(shown)).toBeLessThanOrEqual(1024);
  expect(body.startsWith(shown)).toBe(true);

  await page.getByLabel('Share a link valid for').selectOption({ label: '15 minutes' });
  await page.getByRole('button', { name: 'Create link' }).click();
  const link = page.getByTestId('download-link');
  await expect(link).toContainText('Expires in 14 min');
  const url = await page.getByLabel('Download link').inputValue();
  expect(url).toContain('X-Amz-Expires=900');
  const got = await request.get(url);
  expect(got.status()).toBe(200);
  expect((await got.body()).toString()).toBe(body);

  // "Download now" is a plain link to a fresh presigned URL.
  const direct = await request.get(
    (await page.getByTestId('download-now').getAttribute('href'))!,
  );
  expect(direct.status()).toBe(200);
  expect((await direct.body()).toString()).toBe(body);
});

test('images get a thumbnail preview', async ({ page, request }) => {
  const prefix = uniquePrefix('image');
  // A 1×1 PNG.
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  );
  const id = await seed(request, `${prefix}dot.png`, 'RECEIVED', png, 'image/png');
  await page.goto(`/assets/${id}`);
  await hydrated(page);
  const img = page.getByTestId('preview-image');
  await expect(img).toHaveAttribute('alt', `Preview of ${prefix}dot.png`);
  await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).toBe(1);
  // It fills the box its placeholder held (20rem high), whatever its own size: nothing
  // below it moved when it loaded.
  expect((await img.boundingBox())!.height).toBe(320);
});

test('delete asks first, then Undo restores the asset', async ({ page, request }) => {
  const prefix = uniquePrefix('undo');
  const id = await seed(request, `${prefix}keep.txt`, 'UPLOADED');
  await page.goto(`/assets?q=${prefix}`);
  await hydrated(page);
  const row = rowOf(page, id);

  // Cancelling (Escape) changes nothing.
  await row.getByRole('button', { name: `Delete ${prefix}keep.txt` }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText(`Delete ${prefix}keep.txt?`);
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(row.locator('.badge')).toHaveText('UPLOADED');

  await row.getByRole('button', { name: `Delete ${prefix}keep.txt` }).click();
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(row.locator('.badge')).toHaveText('DELETED');
  const toast = page.getByTestId('toast').filter({ hasText: `Deleted ${prefix}keep.txt` });
  await toast.getByRole('button', { name: 'Undo' }).click();
  await expect(row.locator('.badge')).toHaveText('UPLOADED');
  await expect(page.getByTestId('toast').filter({ hasText: `Restored ${prefix}keep.txt` })).toBeVisible();
  expect((await request.get(`/asset/${id}`)).status()).toBe(202);
});

test('a deleted asset shows DELETED and its download is refused', async ({ page, request }) => {
  const prefix = uniquePrefix('gone');
  const id = await seed(request, `${prefix}old.txt`, 'UPLOADED');
  await page.goto(`/assets/${id}`);
  await hydrated(page);
  await page.getByRole('button', { name: `Delete ${prefix}old.txt` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await expect(page.locator('.detail-head .badge')).toHaveText('DELETED');
  await expect(page.getByTestId('download-unavailable')).toContainText('cannot be downloaded');
  expect((await request.get(`/asset/${id}`)).status()).toBe(403);
  expect((await request.get(`/assets/${id}/download`, { maxRedirects: 0 })).status()).toBe(403);

  // The list says so too, and offers Restore instead of Download.
  await page.goto(`/assets?q=${prefix}`);
  await hydrated(page);
  const row = rowOf(page, id);
  await expect(row.locator('.badge')).toHaveText('DELETED');
  await expect(row.getByRole('link', { name: /^Download/ })).toHaveCount(0);
  await row.getByRole('button', { name: `Restore ${prefix}old.txt` }).click();
  await expect(row.locator('.badge')).toHaveText('UPLOADED');
});

test('an upload through the REST API appears in an open browse page without reload', async ({
  page,
  request,
}) => {
  const prefix = uniquePrefix('live');
  await page.goto(`/assets?q=${prefix}`);
  await hydrated(page);
  await expect(page.getByTestId('empty')).toBeVisible();
  const navigations: string[] = [];
  page.on('framenavigated', (f) => navigations.push(f.url()));

  const created = await request.post('/asset', {
    data: { filename: `${prefix}arrives.txt`, content_type: 'text/plain', size: 5 },
  });
  const ticket = await created.json();
  const row = rowOf(page, ticket.id);
  await expect(row.locator('.badge')).toHaveText('CREATED', { timeout: 8_000 });
  await request.put(ticket.upload_url, { headers: told(ticket), data: 'hello' });
  await expect(row.locator('.badge')).toHaveText('RECEIVED', { timeout: 8_000 });
  await request.put(`/asset/${ticket.id}`);
  await expect(row.locator('.badge')).toHaveText('UPLOADED', { timeout: 8_000 });
  expect(navigations).toEqual([]);
});

test('the detail page confirms a RECEIVED upload and follows pending ones', async ({ page, request }) => {
  const prefix = uniquePrefix('confirm');
  const id = await seed(request, `${prefix}in.txt`, 'RECEIVED');
  await page.goto(`/assets/${id}`);
  await hydrated(page);
  await page.getByRole('button', { name: `Mark uploaded: ${prefix}in.txt` }).click();
  await expect(page.locator('.detail-head .badge')).toHaveText('UPLOADED');
  await expect(page.getByTestId('toast').filter({ hasText: 'Marked' })).toBeVisible();

  // A CREATED asset's page updates by itself when its file arrives.
  const created = await request.post('/asset', {
    data: { filename: `${prefix}later.txt`, content_type: 'text/plain', size: 2 },
  });
  const ticket = await created.json();
  await page.goto(`/assets/${ticket.id}`);
  await hydrated(page);
  await expect(page.locator('.detail-head .badge')).toHaveText('CREATED');
  await request.put(ticket.upload_url, { headers: told(ticket), data: 'hi' });
  await expect(page.locator('.detail-head .badge')).toHaveText('RECEIVED', { timeout: 8_000 });
  await expect(page.getByTestId('metadata')).toContainText('ObjectCreated:Put');
});

test('keyboard and narrow screens: everything reachable, nothing overflows at 360 px', async ({
  page,
  request,
}) => {
  const prefix = uniquePrefix('a11y');
  const id = await seed(request, `${prefix}a-rather-long-file-name-that-must-wrap-nicely.txt`, 'UPLOADED');
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(`/assets?q=${prefix}`);
  await hydrated(page);
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(await overflow()).toBeLessThanOrEqual(0);
  // Keyboard: from the search box, Tab reaches the row's link, then its actions.
  await page.getByLabel('Search by file name').focus();
  const link = rowOf(page, id).locator('a.asset-link');
  for (let i = 0; i < 20 && !(await link.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
  }
  await expect(link).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/assets/${id}$`));
  await expect(page.getByRole('heading', { level: 1 })).toContainText(prefix);
  expect(await overflow()).toBeLessThanOrEqual(0);
});

test('screenshots of the list and the detail page, light and dark', async ({ page, request }, testInfo) => {
  const prefix = uniquePrefix('shot');
  await seed(request, `${prefix}photo-notes.txt`, 'CREATED');
  await seed(request, `${prefix}quarterly-report.txt`, 'RECEIVED');
  await seed(request, `${prefix}budget.csv`, 'UPLOADED', 'a,b\n1,2\n', 'text/csv');
  const id = await seed(request, `${prefix}readme.md`, 'UPLOADED', '# Ferry\n\nFiles straight to S3.\n', 'text/markdown');
  await seed(request, `${prefix}old-draft.txt`, 'DELETED');
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`/assets?q=${prefix}`);
    await hydrated(page);
    await expect(page.locator('tbody tr')).toHaveCount(5);
    const list = testInfo.outputPath(`browse-${scheme}.png`);
    await page.screenshot({ path: list, fullPage: true });
    await testInfo.attach(`browse-${scheme}`, { path: list, contentType: 'image/png' });
    await page.goto(`/assets/${id}`);
    await hydrated(page);
    await expect(page.getByTestId('preview-text')).toContainText('Files straight to S3.');
    const detail = testInfo.outputPath(`detail-${scheme}.png`);
    await page.screenshot({ path: detail, fullPage: true });
    await testInfo.attach(`detail-${scheme}`, { path: detail, contentType: 'image/png' });
  }
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the asset actions are forms: mark uploaded, delete and restore from /assets', async ({
    page,
    request,
  }) => {
    const prefix = uniquePrefix('nojs');
    const name = `${prefix}plain.txt`;
    const id = await seed(request, name, 'RECEIVED');
    const view = `/assets?q=${prefix}`;
    await page.goto(view);
    const row = rowOf(page, id);
    await expect(row.locator('.badge')).toHaveText('RECEIVED');

    // Each button posts its form to the server function, which redirects back to the page.
    await row.getByRole('button', { name: `Mark uploaded: ${name}` }).click();
    await expect(row.locator('.badge')).toHaveText('UPLOADED');
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe(view);
    await row.getByRole('button', { name: `Delete ${name}` }).click();
    await expect(row.locator('.badge')).toHaveText('DELETED');
    expect((await request.get(`/asset/${id}`)).status()).toBe(403);
    await row.getByRole('button', { name: `Restore ${name}` }).click();
    await expect(row.locator('.badge')).toHaveText('UPLOADED');
    expect((await request.get(`/asset/${id}`)).status()).toBe(202);

    // Nothing ran in the page: the server did it all.
    await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', /.*/);
  });
});
