import { test, expect, hydrated, seed, dropFiles, row } from './fixtures';
import AxeBuilder from '@axe-core/playwright';
import { Page } from '@playwright/test';

/**
 * axe-core on every page and state the other tests visit, in both colour schemes and at a
 * desktop and a phone width: WCAG 2.0/2.1 A and AA and axe's best practices. Any violation
 * fails the test, naming the rule and where.
 */

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

async function noViolations(page: Page, what: string) {
  const result = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  const found = result.violations.map(
    (v) => `${what}: ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(found, 'axe violations').toEqual([]);
}

for (const scheme of ['light', 'dark'] as const) {
  for (const width of [1280, 390]) {
    test(`no axe violations, ${scheme}, ${width} px wide`, async ({ page, request }) => {
      test.setTimeout(60_000);
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width, height: 900 });
      const prefix = `a11y-${scheme}-${width}-${Date.now().toString(36)}-`;
      const received = await seed(request, `${prefix}received.txt`, 'RECEIVED');
      await seed(request, `${prefix}uploaded.txt`, 'UPLOADED');
      await seed(request, `${prefix}created.txt`, 'CREATED');
      await seed(request, `${prefix}deleted.txt`, 'DELETED');

      // The upload page, idle, then with an upload in progress (its PUT held back).
      await page.goto('/');
      await hydrated(page);
      await noViolations(page, 'upload page');
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      await page.route(/X-Amz-Signature/, async (route) => {
        await held;
        await route.continue();
      });
      await dropFiles(page, [{ name: `${prefix}progress.txt`, type: 'text/plain', text: 'in progress' }]);
      await expect(row(page, `${prefix}progress.txt`)).toBeVisible();
      await noViolations(page, 'upload in progress');
      release();
      await expect(row(page, `${prefix}progress.txt`).getByTestId('row-state')).toHaveText('Uploaded');
      await page.unroute(/X-Amz-Signature/);

      // The browse page, full, then with a toast shown (a confirmation).
      await page.goto(`/assets?q=${encodeURIComponent(prefix)}`);
      await hydrated(page);
      await noViolations(page, 'browse page');
      await page.getByRole('button', { name: `Mark uploaded: ${prefix}received.txt` }).click();
      await expect(page.getByTestId('toast').first()).toBeVisible();
      await noViolations(page, 'browse page with a toast');
      // As a grid of cards, then back to the table (the choice is kept in a cookie).
      await page.getByRole('button', { name: 'Grid' }).click();
      await expect(page.getByTestId('asset-grid')).toBeVisible();
      await noViolations(page, 'browse page as a grid');
      await page.getByRole('button', { name: 'List' }).click();
      await expect(page.getByTestId('assets')).toBeVisible();
      // A folder with a folder in it, its new-folder form open; the move picker open.
      const folder = await request.post('/folder', { data: { name: `${prefix}folder` } });
      const folderId = (await folder.json()).folder_id;
      await request.post('/folder', { data: { name: 'inside', parent: folderId } });
      await page.goto(`/assets?folder=${folderId}`);
      await hydrated(page);
      await page.getByRole('button', { name: 'New folder' }).click();
      await expect(page.getByLabel('Name of the new folder')).toBeVisible();
      await noViolations(page, 'a folder, with its new-folder form');
      await page.goto(`/assets?q=${encodeURIComponent(prefix)}`);
      await hydrated(page);
      await page.getByRole('checkbox', { name: `Select ${prefix}received.txt` }).check();
      await page.getByRole('button', { name: 'Move to…' }).click();
      await expect(page.getByRole('button', { name: 'Move here' })).toBeVisible();
      await noViolations(page, 'browse page with the move picker');

      // An asset's page, then with its delete dialog open.
      await page.goto(`/assets/${received}`);
      await hydrated(page);
      await noViolations(page, 'asset page');
      // With a share link just made (its address shown) and listed.
      await page.getByRole('button', { name: 'Create share link' }).click();
      await expect(page.getByTestId('share-row')).toHaveCount(1);
      await noViolations(page, 'asset page with a share link');
      await page.getByRole('button', { name: /^Delete/ }).first().click();
      await expect(page.getByRole('dialog')).toBeVisible();
      await noViolations(page, 'delete dialog');

      // Nothing found: an unknown page, and an asset id that is none.
      await page.goto('/no-such-page');
      await noViolations(page, 'unknown page');
      await page.goto('/assets/not-an-id');
      await noViolations(page, 'malformed asset id');
      await page.goto('/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
      await noViolations(page, 'unknown share link');
    });
  }
}
