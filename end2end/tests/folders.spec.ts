import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect, hydrated, seed, row, allowConsoleErrors, dropDirectory } from './fixtures';
import type { Page } from '@playwright/test';

/**
 * Folders (issue 19): made from the browse page, navigated with breadcrumbs and the
 * browser's Back and Forward, uploaded into from the folder's own upload link (a dropped
 * folder lands in nested folders), files moved between folders, a folder renamed, and a
 * folder that holds anything refused deletion until it is empty.
 */

const unique = (what: string) => `${what}-${Date.now().toString(36)}`;

function crumbs(page: Page) {
  return page.getByRole('navigation', { name: 'Folders' }).getByRole('listitem');
}

async function newFolder(page: Page, name: string) {
  await page.getByRole('button', { name: 'New folder' }).click();
  await page.getByLabel('Name of the new folder').fill(name);
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(page.getByTestId('toast').filter({ hasText: `Folder “${name}” made` })).toBeVisible();
  await expect(page.getByRole('link', { name, exact: true })).toBeVisible();
}

test('folders: breadcrumbs, Back and Forward, and a dropped folder landing in nested folders', async ({ page }) => {
  const top = unique('Top');
  await page.goto('/assets');
  await hydrated(page);
  await expect(crumbs(page)).toHaveText(['Home']);
  await newFolder(page, top);
  await page.getByRole('link', { name: top, exact: true }).click();
  await expect(page).toHaveURL(/\/assets\?folder=[0-9A-Z]{26}$/);
  await expect(crumbs(page)).toHaveText(['Home', top]);
  await expect(page.getByTestId('empty')).toContainText('This folder is empty');
  await newFolder(page, 'Inner');
  await page.getByRole('link', { name: 'Inner', exact: true }).click();
  await expect(crumbs(page)).toHaveText(['Home', top, 'Inner']);
  const inner = page.url();

  // The browser's history walks the folders.
  await page.goBack();
  await expect(crumbs(page)).toHaveText(['Home', top]);
  await page.goForward();
  await expect(crumbs(page)).toHaveText(['Home', top, 'Inner']);
  // A breadcrumb goes up.
  await crumbs(page).getByRole('link', { name: top }).click();
  await expect(crumbs(page)).toHaveText(['Home', top]);
  await page.goto(inner);
  await hydrated(page);

  // Upload into Inner from its own link: a folder dropped as the OS drops it.
  await page.getByRole('link', { name: 'Upload to this folder' }).first().click();
  await expect(page.getByTestId('destination')).toHaveText(`Home / ${top} / Inner`);
  await hydrated(page);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-into-'));
  const dir = path.join(root, 'trip');
  fs.mkdirSync(path.join(dir, 'photos', 'raw'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'itinerary.txt'), 'day 1: sea');
  fs.writeFileSync(path.join(dir, 'photos', 'raw', 'a.txt'), 'raw a');
  await dropDirectory(page, dir);
  for (const name of ['trip/itinerary.txt', 'trip/photos/raw/a.txt']) {
    await expect(row(page, name).getByTestId('row-state')).toHaveText('Uploaded');
  }
  fs.rmSync(root, { recursive: true, force: true });

  // Back in Inner: the dropped folder's own folders, each holding its files.
  await page.getByTestId('destination').click();
  await hydrated(page);
  await page.getByRole('link', { name: 'trip', exact: true }).click();
  await expect(crumbs(page)).toHaveText(['Home', top, 'Inner', 'trip']);
  await expect(page.getByRole('link', { name: 'itinerary.txt', exact: true })).toBeVisible();
  await page.getByRole('link', { name: 'photos', exact: true }).click();
  await page.getByRole('link', { name: 'raw', exact: true }).click();
  await expect(crumbs(page)).toHaveText(['Home', top, 'Inner', 'trip', 'photos', 'raw']);
  await expect(page.getByRole('link', { name: 'a.txt', exact: true })).toBeVisible();
  // The file's page links back to its folder.
  const raw = page.url();
  await page.getByRole('link', { name: 'a.txt', exact: true }).click();
  await expect(page.getByTestId('asset-folder')).toHaveText('Open its folder (5 deep)');
  await page.getByTestId('asset-folder').click();
  await expect(page).toHaveURL(raw);
  await expect(crumbs(page)).toHaveText(['Home', top, 'Inner', 'trip', 'photos', 'raw']);
  // Not at the top level; found from there by a search of the subfolders.
  await page.goto('/assets?q=itinerary');
  await hydrated(page);
  await expect(page.getByTestId('empty')).toBeVisible();
  await page.getByLabel('Search subfolders too').check();
  await expect(page).toHaveURL(/sub=1/);
  await expect(page.getByRole('link', { name: 'itinerary.txt', exact: true }).first()).toBeVisible();
});

test('move files, rename a folder, and delete it only once it is empty', async ({ page }) => {
  const prefix = unique('mv');
  const dest = `${prefix}-dest`;
  const made = await page.request.post('/folder', { data: { name: dest } });
  expect(made.status()).toBe(201);
  const destId: string = (await made.json()).folder_id;
  for (const n of ['a', 'b']) await seed(page.request, `${prefix}-${n}.txt`, 'RECEIVED');

  // Both, from the top level into the folder, through the picker.
  await page.goto(`/assets?q=${prefix}-`);
  await hydrated(page);
  await page.getByTestId('select-all').check();
  const bar = page.getByRole('region', { name: 'Selected assets' });
  await bar.getByRole('button', { name: 'Move to…' }).click();
  const picker = page.getByRole('region', { name: 'Move to a folder' });
  await picker.getByRole('button', { name: dest }).click();
  await expect(picker.getByRole('navigation', { name: 'Move to' })).toContainText(dest);
  await picker.getByRole('button', { name: 'Move here' }).click();
  await expect(page.getByTestId('toast').filter({ hasText: 'Moved 2 assets' })).toBeVisible();
  await expect(page.getByTestId('empty')).toBeVisible();

  // There now; the folder renamed (the files stay in it).
  await page.goto(`/assets?folder=${destId}`);
  await hydrated(page);
  await expect(page.getByRole('link', { name: `${prefix}-a.txt`, exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Rename folder' }).click();
  await page.getByLabel('New name of this folder').fill(`${prefix}-renamed`);
  await page.getByRole('button', { name: 'Rename', exact: true }).click();
  await expect(crumbs(page)).toHaveText(['Home', `${prefix}-renamed`]);
  await expect(page.getByRole('link', { name: `${prefix}-b.txt`, exact: true })).toBeVisible();

  // Not empty: refused (a 409), and it says why.
  allowConsoleErrors(page, /status of 409 \(Conflict\)/);
  await page.getByRole('button', { name: 'Delete folder' }).click();
  await expect(page.getByTestId('folder-error')).toHaveText(
    'the folder is not empty: move or delete what is in it first',
  );
  await expect(crumbs(page)).toHaveText(['Home', `${prefix}-renamed`]);

  // Emptied (back to the top level), it goes.
  await page.getByTestId('select-all').check();
  await bar.getByRole('button', { name: 'Move to…' }).click();
  await picker.getByRole('button', { name: 'Home' }).click();
  await picker.getByRole('button', { name: 'Move here' }).click();
  await expect(page.getByTestId('toast').filter({ hasText: 'Moved 2 assets' })).toBeVisible();
  await expect(page.getByTestId('empty')).toContainText('This folder is empty');
  // (Right after something was put in it, a folder waits a moment before it can go.)
  await expect(async () => {
    await page.getByRole('button', { name: 'Delete folder' }).click();
    await expect(page).toHaveURL(/\/assets$/, { timeout: 1_500 });
  }).toPass({ timeout: 15_000 });
  await expect(page.getByRole('link', { name: `${prefix}-renamed` })).toHaveCount(0);
  await expect(page.getByRole('link', { name: `${prefix}-a.txt`, exact: true })).toBeVisible();
});
