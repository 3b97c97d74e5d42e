import { test, expect, hydrated, seed, row } from './fixtures';
import { Page } from '@playwright/test';

/**
 * Thumbnails and the grid (issue 19): an uploaded PNG gets a thumbnail, made after its S3
 * event, shown in the grid from S3 through a presigned URL; the grid is each person's choice
 * and stays chosen; pictures of picked images show before their bytes are sent.
 */

/** A PNG drawn in the page: a 640 × 480 gradient, as real image bytes. */
async function drawnPng(page: Page): Promise<Buffer> {
  const dataUrl = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 640;
    c.height = 480;
    const g = c.getContext('2d')!;
    const grad = g.createLinearGradient(0, 0, 640, 480);
    grad.addColorStop(0, '#0b6bcb');
    grad.addColorStop(1, '#f5a524');
    g.fillStyle = grad;
    g.fillRect(0, 0, 640, 480);
    return c.toDataURL('image/png');
  });
  return Buffer.from(dataUrl.split(',')[1], 'base64');
}

test('the grid shows the thumbnail of an uploaded PNG, and stays chosen', async ({ page }) => {
  await page.goto('/assets');
  const png = await drawnPng(page);
  const id = await seed(page.request, `sunset-${Date.now()}.png`, 'RECEIVED', png, 'image/png');
  const card = page.locator(`[data-testid=asset-card][data-asset-id="${id}"]`);

  await page.goto('/assets');
  await hydrated(page);
  await page.getByRole('group', { name: 'Show as' }).getByRole('button', { name: 'Grid' }).click();
  await expect(page.getByTestId('asset-grid')).toBeVisible();
  await expect(page.getByTestId('assets')).toHaveCount(0);
  // The thumbnail is made after the upload's event: it shows once it is there.
  await expect
    .poll(
      async () => {
        await page.reload();
        return card.getByTestId('thumbnail').count();
      },
      { timeout: 20_000 },
    )
    .toBe(1);
  // Chosen before the reload, rendered so by the server.
  await expect(page.getByTestId('asset-grid')).toBeVisible();
  const thumb = card.getByTestId('thumbnail');
  await expect(thumb).toHaveAttribute('src', /thumbnails\/.*X-Amz-Signature/);
  await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(320);

  await hydrated(page);
  await page.getByRole('group', { name: 'Show as' }).getByRole('button', { name: 'List' }).click();
  await expect(page.getByTestId('assets')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('assets')).toBeVisible();
});

test('a picked image shows its picture before its bytes are sent', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  const png = await drawnPng(page);
  // Hold the upload back: the picture must not wait for it.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route(/X-Amz-Signature/, async (route) => {
    await held;
    await route.continue();
  });
  const dt = await page.evaluateHandle((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'picked.png', { type: 'image/png' }));
    return dt;
  }, png.toString('base64'));
  await page.dispatchEvent('[data-testid=dropzone]', 'drop', { dataTransfer: dt });
  const picture = row(page, 'picked.png').getByTestId('local-thumbnail');
  await expect(picture).toHaveAttribute('src', /^blob:/);
  await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(640);
  await expect(row(page, 'picked.png').getByTestId('asset-status')).not.toHaveText('UPLOADED');
  release();
  await expect(row(page, 'picked.png').getByTestId('asset-status')).toHaveText('UPLOADED');
});
