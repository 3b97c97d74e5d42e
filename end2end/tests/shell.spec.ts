import { test, expect, hydrated } from './fixtures';

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the server renders every route as complete HTML', async ({ page }) => {
    const home = await page.goto('/');
    expect(home?.status()).toBe(200);
    await expect(page).toHaveTitle('Upload · Ferry');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Upload files');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(nav.getByRole('link', { name: 'Upload' })).toHaveAttribute('aria-current', 'page');
    await expect(page.getByRole('button', { name: /Colour theme: system/ })).toBeVisible();
    // Nothing ran: the page is exactly what the server sent.
    await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', /.*/);

    // Links work as plain links.
    await nav.getByRole('link', { name: 'Assets' }).click();
    await expect(page).toHaveURL(/\/assets$/);
    await expect(page).toHaveTitle('Assets · Ferry');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Assets');
  });

  test('the stylesheet is applied', async ({ page }) => {
    await page.goto('/');
    const header = page.locator('header.site-header');
    await expect(header).toHaveCSS('display', 'flex');
  });
});

test('every page paints before it fetches any script or WebAssembly, then hydrates', async ({ page }) => {
  const res = await page.request.post('/asset', { data: { filename: 'paint.txt', content_type: 'text/plain' } });
  const id = (await res.json()).id;
  for (const path of ['/', '/assets', `/assets/${id}`, '/no-such-page']) {
    await page.goto(path);
    await hydrated(page);
    const { fcp, fetched } = await page.evaluate(() => ({
      fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
      fetched: performance
        .getEntriesByType('resource')
        .filter((r) => new URL(r.name).pathname.startsWith('/pkg/'))
        .map((r) => ({ path: new URL(r.name).pathname, start: r.startTime })),
    }));
    expect(fcp, `${path}: painted`).toBeGreaterThan(0);
    // The stylesheet came with the page; the bundle only after the first paint.
    expect(fetched.filter((r) => r.path.endsWith('.css')), path).toEqual([]);
    expect(fetched.some((r) => r.path.endsWith('.wasm')), path).toBe(true);
    expect(fetched.filter((r) => r.start < fcp!), `${path}: fetched before the paint at ${fcp}`).toEqual([]);
  }
});

test('the theme toggle works once hydrated and is remembered', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/');
  await hydrated(page);
  const html = page.locator('html');
  const toggle = page.getByRole('button', { name: /Colour theme/ });
  await expect(toggle).toHaveAccessibleName('Colour theme: system. Switch to light.');
  await expect(html).not.toHaveAttribute('data-theme', /.*/);

  await toggle.click();
  await expect(html).toHaveAttribute('data-theme', 'light');
  await toggle.click();
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await expect(toggle).toHaveAccessibleName('Colour theme: dark. Switch to system.');
  // Dark colours are really applied.
  await expect(page.locator('body')).toHaveCSS('background-color', 'rgb(15, 18, 22)');

  // Remembered across a reload, applied before hydration by the inline head script.
  await page.reload();
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await hydrated(page);
  await expect(toggle).toHaveAccessibleName('Colour theme: dark. Switch to system.');

  await toggle.click();
  await expect(html).not.toHaveAttribute('data-theme', /.*/);
  await expect(page.locator('body')).toHaveCSS('background-color', 'rgb(247, 248, 250)');
});

test('navigation between routes happens in the page, and back works', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  // A full page load would wipe this marker.
  await page.evaluate(() => ((window as any).__ferryMarker = 42));

  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Assets' }).click();
  await expect(page).toHaveURL(/\/assets$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Assets');
  await expect(page).toHaveTitle('Assets · Ferry');
  await expect(nav.getByRole('link', { name: 'Assets' })).toHaveAttribute('aria-current', 'page');
  await expect(nav.getByRole('link', { name: 'Upload' })).not.toHaveAttribute('aria-current', /.*/);

  await page.goBack();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Upload files');
  expect(await page.evaluate(() => (window as any).__ferryMarker)).toBe(42);
});

test('an unknown route shows the 404 page with status 404', async ({ page }) => {
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page).toHaveTitle('Page not found · Ferry');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
  await hydrated(page);
  await page.getByRole('link', { name: 'browse assets' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Assets');
});

test('a malformed or unknown asset id is a 404 page', async ({ page }) => {
  const response = await page.goto('/assets/not-an-id');
  expect(response?.status()).toBe(404);
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('`not-an-id` is not a valid asset id');
  await hydrated(page);

  // Leaving the broken page clears the boundary.
  await alert.getByRole('link', { name: 'Back to all assets' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Assets');
  await expect(page.getByRole('alert')).toHaveCount(0);

  // A well-formed id of no asset is a 404 too, saying so.
  const unknown = await page.goto('/assets/01JDQ7ZK3M5X9V2B8N4C6T1R0W');
  expect(unknown?.status()).toBe(404);
  await expect(page.getByRole('alert')).toContainText('Asset not found');
});

test('pages carry the security headers and hydrate under their policy', async ({ page }) => {
  for (const path of ['/', '/assets', '/no/such/page']) {
    const res = await page.goto(path);
    const headers = res!.headers();
    expect(headers['x-content-type-options'], path).toBe('nosniff');
    expect(headers['referrer-policy'], path).toBe('same-origin');
    const csp = headers['content-security-policy'];
    expect(csp, path).toContain("frame-ancestors 'none'");
    expect(csp, path).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]{22,}' 'wasm-unsafe-eval'/);
    expect(csp, path).not.toContain('unsafe-inline');
    // The module script ran (its nonce matched) and the wasm compiled: the page is live.
    await hydrated(page);
  }
  // Uploads go to the embedded S3, which the policy names.
  const csp = (await page.goto('/'))!.headers()['content-security-policy'];
  expect(csp).toMatch(/connect-src 'self' http:\/\/127\.0\.0\.1:\d+(;|$)/);
});
