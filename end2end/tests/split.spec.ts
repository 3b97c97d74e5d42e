import { test, expect, hydrated } from './fixtures';
import { Page } from '@playwright/test';
import { slowLink } from '../slow-link.cjs';

/**
 * The bundle is split at the lazy routes (issue 15): each page's module, and the chunks
 * pages share, arrive after the main module. These tests prove that a page whose modules
 * arrive late still hydrates cleanly (the fixture fails on any console error), that a route
 * works the first time it is opened inside the page, and that going back and forth never
 * fetches a module twice. Sending files is split off too (a lazy function): the upload page
 * fetches it once it is interactive, and a file dropped before it arrived still goes up.
 */

/** Counts the page's fetches of each WebAssembly module under /pkg/. */
function wasmFetches(page: Page): Map<string, number> {
  const seen = new Map<string, number>();
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/pkg/') && path.endsWith('.wasm')) seen.set(path, (seen.get(path) ?? 0) + 1);
  });
  return seen;
}

async function createAsset(page: Page, filename: string): Promise<string> {
  const res = await page.request.post('/asset', { data: { filename, content_type: 'text/plain' } });
  expect(res.status()).toBe(201);
  return (await res.json()).id;
}

test('every route hydrates on a slow link, its page module fetched with the main one', async ({ page }) => {
  const id = await createAsset(page, 'slow-link.txt');
  await slowLink(page);
  const fetched = wasmFetches(page);
  for (const [path, view] of [
    ['/', 'upload_route'],
    ['/assets', 'browse_route'],
    [`/assets/${id}`, 'asset_route'],
  ]) {
    // The server names the route's own module in the page it sends (a `ferry-module` meta
    // tag, which the page fetches with the main module once it is painted)...
    const html = await (await page.request.get(path)).text();
    const href = html.match(new RegExp(`<meta name="ferry-module" content="(/pkg/split___${view}_view_[^"]+\\.wasm)"`))?.[1];
    expect(href, `${path}: its module named`).toBeTruthy();
    // ... so the first load fetches it, once, and the page hydrates.
    await page.goto(path);
    await hydrated(page);
    expect(fetched.get(href!), `${path}: ${href}`).toBe(1);
    fetched.clear();
    // And the page's controls work (the theme toggle says what it will do next).
    const toggle = page.getByRole('button', { name: /Colour theme/ });
    const before = await toggle.getAttribute('aria-label');
    await toggle.click();
    await expect(toggle).not.toHaveAccessibleName(before!);
  }
  await page.goto(`/assets/${id}`);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('slow-link.txt');
});

test('a route opened inside the page loads its module and works the first time', async ({ page }) => {
  await page.goto('/assets');
  await hydrated(page);
  const fetched = wasmFetches(page);
  // The upload page's module was not part of this page: it comes when the route is opened.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Upload' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Upload files');
  await expect.poll(() => [...fetched.keys()].some((p) => p.includes('split___upload_route_view_'))).toBe(true);
  const dt = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['first time'], 'first-time.txt', { type: 'text/plain' }));
    return dt;
  });
  await page.dispatchEvent('[data-testid=dropzone]', 'drop', { dataTransfer: dt });
  const row = page.locator('[data-testid=upload-row][data-name="first-time.txt"]');
  await expect(row.getByTestId('asset-status')).toHaveText('UPLOADED');
});

test('going back and forth between routes never fetches a module twice', async ({ page }) => {
  const id = await createAsset(page, 'back-and-forth.txt');
  await slowLink(page);
  const fetched = wasmFetches(page);
  await page.goto('/');
  await hydrated(page);
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (let round = 0; round < 2; round++) {
    await nav.getByRole('link', { name: 'Assets' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Assets');
    await page.locator(`a[href="/assets/${id}"]`).first().click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('back-and-forth.txt');
    await page.goBack();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Assets');
    await page.goForward();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('back-and-forth.txt');
    await nav.getByRole('link', { name: 'Upload' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Upload files');
  }
  // Every page's module was used, and each came once.
  for (const view of ['upload_route', 'browse_route', 'asset_route']) {
    expect([...fetched.keys()].some((p) => p.includes(`split___${view}_view_`)), view).toBe(true);
  }
  const twice = [...fetched].filter(([, n]) => n > 1);
  expect(twice).toEqual([]);
});

/** Drops one small text file on the upload page's drop zone. */
async function dropFile(page: Page, name: string) {
  const dt = await page.evaluateHandle((name) => {
    const dt = new DataTransfer();
    dt.items.add(new File([`contents of ${name}`], name, { type: 'text/plain' }));
    return dt;
  }, name);
  await page.dispatchEvent('[data-testid=dropzone]', 'drop', { dataTransfer: dt });
}

const sendModule = (path: string) => path.includes('/split_send_');

test('the sending code comes after the upload page is interactive, once', async ({ page }) => {
  // Not part of the first page: the server does not preload it.
  const html = await (await page.request.get('/')).text();
  expect(html).toContain('split___upload_route_view_');
  expect(html).not.toContain('split_send_');
  await slowLink(page);
  const fetched = wasmFetches(page);
  await page.goto('/');
  await hydrated(page);
  // Fetched ahead of the first file, with nothing asked of the page.
  await expect.poll(() => [...fetched.keys()].filter(sendModule).length, { timeout: 20_000 }).toBe(1);
  await dropFile(page, 'after-prefetch.txt');
  const row = page.locator('[data-testid=upload-row][data-name="after-prefetch.txt"]');
  await expect(row.getByTestId('asset-status')).toHaveText('UPLOADED', { timeout: 20_000 });
  expect([...fetched].filter(([p, n]) => sendModule(p) && n !== 1)).toEqual([]);
});

test('a file dropped before the sending code arrived still goes up, first time', async ({ page }) => {
  await slowLink(page);
  const fetched = wasmFetches(page);
  await page.goto('/');
  await hydrated(page);
  // At once: on this link the sending code is still on its way.
  await dropFile(page, 'before-prefetch.txt');
  const row = page.locator('[data-testid=upload-row][data-name="before-prefetch.txt"]');
  await expect(row.getByTestId('asset-status')).toHaveText('UPLOADED', { timeout: 20_000 });
  const sends = [...fetched].filter(([p]) => sendModule(p));
  expect(sends.length).toBe(1);
  expect(sends[0][1]).toBe(1);
});

