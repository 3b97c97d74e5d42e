import { test, expect, hydrated, allowConsoleErrors, dropFiles, dropDirectory, row } from './fixtures';
import { Page, APIRequestContext } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Records every asset status a row shows, in order. */
async function recordStatuses(page: Page) {
  await page.evaluate(() => {
    (window as any).__statuses = {};
    new MutationObserver(() => {
      for (const r of document.querySelectorAll('[data-testid=upload-row]')) {
        const name = r.getAttribute('data-name')!;
        const s = r.querySelector('[data-testid=asset-status]')?.textContent;
        const seen: string[] = ((window as any).__statuses[name] ??= []);
        if (s && seen[seen.length - 1] !== s) seen.push(s);
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

async function assetIdOf(page: Page, name: string): Promise<string> {
  const href = await row(page, name).getByRole('link', { name: 'View asset' }).getAttribute('href');
  return href!.split('/').pop()!;
}

async function download(request: APIRequestContext, id: string): Promise<string> {
  const link = await request.get(`/asset/${id}`);
  expect(link.status()).toBe(202);
  const res = await request.get((await link.json()).download_url);
  expect(res.status()).toBe(200);
  return await res.text();
}

test.beforeEach(async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
});

test('dropping two files uploads both to UPLOADED with real progress', async ({ page, request }) => {
  await recordStatuses(page);
  const a = 'alpha '.repeat(20_000); // 120 KB
  const b = 'beta\n'.repeat(3);
  await dropFiles(page, [
    { name: 'alpha.txt', type: 'text/plain', text: a },
    { name: 'beta.txt', type: 'text/plain', text: b },
  ]);
  for (const name of ['alpha.txt', 'beta.txt']) {
    await expect(row(page, name).getByTestId('row-state')).toHaveText('Uploaded');
    await expect(row(page, name).getByTestId('asset-status')).toHaveText('UPLOADED');
    await expect(row(page, name).locator('progress')).toHaveAttribute('value', '100');
  }
  await expect(page.getByTestId('summary')).toContainText('100%');
  await expect(row(page, 'alpha.txt').getByTestId('row-bytes')).toHaveText('120 KB of 120 KB');
  await expect(page.getByTestId('announcer')).toContainText('uploaded');

  // Each row went CREATED → RECEIVED → UPLOADED.
  const statuses = await page.evaluate(() => (window as any).__statuses);
  expect(statuses['alpha.txt']).toEqual(['CREATED', 'RECEIVED', 'UPLOADED']);
  expect(statuses['beta.txt']).toEqual(['CREATED', 'RECEIVED', 'UPLOADED']);

  // The bytes come back identical through the asset's download link.
  expect(await download(request, await assetIdOf(page, 'alpha.txt'))).toBe(a);
  expect(await download(request, await assetIdOf(page, 'beta.txt'))).toBe(b);

  // The row links to the asset's page.
  await row(page, 'beta.txt').getByRole('link', { name: 'View asset' }).click();
  await expect(page).toHaveURL(/\/assets\/[0-9A-Z]{26}$/);
});

test('a file over the size limit is refused before any request', async ({ page }) => {
  await expect(page.locator('#upload-limits')).toContainText('Up to 126 MB per file');
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await dropFiles(page, [{ name: 'huge.bin', type: 'application/octet-stream', size: 121 * 1024 * 1024 }]);
  await expect(row(page, 'huge.bin').getByTestId('row-state')).toHaveText('Failed');
  await expect(row(page, 'huge.bin').getByTestId('row-error')).toContainText('larger than the 126 MB allowed');
  expect(requests.filter((u) => u.includes('/api/') || u.includes('X-Amz-'))).toEqual([]);
  await expect(row(page, 'huge.bin').getByRole('button', { name: 'Retry' })).toHaveCount(0);
});

test('pasting a file uploads it', async ({ page, request }) => {
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['pasted bytes'], 'clipboard.txt', { type: 'text/plain' }));
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true }));
  });
  await expect(row(page, 'clipboard.txt').getByTestId('row-state')).toHaveText('Uploaded');
  expect(await download(request, await assetIdOf(page, 'clipboard.txt'))).toBe('pasted bytes');
});

test('a folder keeps its relative paths', async ({ page, request }) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-folder-'));
  const dir = path.join(root, 'holiday');
  fs.mkdirSync(path.join(dir, 'day 1'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'notes');
  fs.writeFileSync(path.join(dir, 'day 1', 'beach.txt'), 'sand');
  await page.setInputFiles('#folder-input', dir);
  for (const name of ['holiday/notes.txt', 'holiday/day 1/beach.txt']) {
    await expect(row(page, name).getByTestId('row-state')).toHaveText('Uploaded');
  }
  // Its key keeps the path as dropped; the asset is named without its folders, which were
  // made (holiday, then day 1 inside it) to hold it.
  const list = await (await request.get('/asset?limit=100')).json();
  const beach = list.items.find((i: any) => /\/holiday\/day 1\/beach\.txt$/.test(i.object_key));
  expect(beach.object_key).toMatch(/^uploads\/local\/[0-9A-Z]{26}\/holiday\/day 1\/beach\.txt$/);
  expect(beach.filename).toBe('beach.txt');
  expect(beach.folder_path).toHaveLength(2);
  expect(await download(request, beach.asset_id)).toBe('sand');
  fs.rmSync(root, { recursive: true, force: true });
});

test('cancel stops an upload and leaves no RECEIVED asset', async ({ page, request }) => {
  // Slow the uploads down so there is time to cancel.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 20,
    downloadThroughput: -1,
    uploadThroughput: 256 * 1024,
  });
  await dropFiles(page, [{ name: 'slow.bin', type: 'application/octet-stream', size: 8 * 1024 * 1024 }]);
  const r = row(page, 'slow.bin');
  await expect(r.getByTestId('row-state')).toHaveText(/Uploading \d+%/);
  await expect(r.getByTestId('row-bytes')).not.toHaveText(/^0 B of/);
  await r.getByRole('button', { name: 'Cancel slow.bin' }).click();
  await expect(r.getByTestId('row-state')).toHaveText('Cancelled');
  await expect(r.getByTestId('asset-status')).toHaveText('DELETED');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
  });
  const id = await assetIdOf(page, 'slow.bin');
  // Nothing arrived: the record is withdrawn and no object was received.
  await page.waitForTimeout(500);
  const list = await (await request.get('/asset?limit=100')).json();
  const asset = list.items.find((i: any) => i.asset_id === id);
  expect(asset.state).toBe('DELETED');
  expect(asset.deleted_from).toBe('CREATED');
  expect(asset.etag).toBeNull();

  // Retry uploads it after all.
  await r.getByRole('button', { name: 'Retry' }).click();
  await expect(r.getByTestId('row-state')).toHaveText('Uploaded');
});

test('the drop zone is labelled and its picker is keyboard operable', async ({ page }) => {
  const zone = page.getByRole('region', { name: 'Drop files or folders here' });
  await expect(zone).toBeVisible();
  const choose = zone.getByRole('button', { name: 'Choose files' });
  await choose.focus();
  await expect(choose).toBeFocused();
  const chooser = page.waitForEvent('filechooser');
  await page.keyboard.press('Enter');
  const fc = await chooser;
  expect(fc.isMultiple()).toBe(true);
  await fc.setFiles({ name: 'keyboard.txt', mimeType: 'text/plain', buffer: Buffer.from('typed') });
  await expect(row(page, 'keyboard.txt').getByTestId('row-state')).toHaveText('Uploaded');
});

const MIB = 1024 * 1024;
const BIG = 100 * MIB;
const LAST_MODIFIED = 1_700_000_000_000;

/** The 100 MiB test file's bytes (the page builds the same ones). */
function bigBytes(): Buffer {
  const b = Buffer.allocUnsafe(BIG);
  for (let i = 0; i < BIG; i++) b[i] = (i * 31 + (i >> 20)) & 0xff;
  return b;
}

/** Drops the 100 MiB file (same name, size and date every time, so it can be resumed). */
async function dropBigFile(page: Page) {
  const dt = await page.evaluateHandle(({ size, lastModified }) => {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 20)) & 0xff;
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'big.bin', { type: 'application/octet-stream', lastModified }));
    return dt;
  }, { size: BIG, lastModified: LAST_MODIFIED });
  await page.dispatchEvent('[data-testid=dropzone]', 'drop', { dataTransfer: dt });
}

function partPuts(page: Page) {
  const parts: number[] = [];
  page.on('requestfinished', async (req) => {
    const url = new URL(req.url());
    if (req.method() === 'PUT' && url.searchParams.has('partNumber')) {
      const res = await req.response();
      if (res?.status() === 200) parts.push(Number(url.searchParams.get('partNumber')));
    }
  });
  return parts;
}

async function sha256(buf: Buffer) {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(buf).digest('hex');
}

/** SHA-256, base64: what S3's `x-amz-checksum-sha256` carries. */
async function sha256b64(buf: Buffer) {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(buf).digest('base64');
}

async function downloadBytes(request: APIRequestContext, id: string): Promise<Buffer> {
  const link = await request.get(`/asset/${id}`);
  expect(link.status()).toBe(202);
  const res = await request.get((await link.json()).download_url);
  expect(res.status()).toBe(200);
  return await res.body();
}

test.describe('large files', () => {
  test.setTimeout(120_000);

  test('a 100 MiB file goes up in parts and arrives intact', async ({ page, request }) => {
    const parts = partPuts(page);
    await dropBigFile(page);
    const r = row(page, 'big.bin');
    await expect(r.getByTestId('row-state')).toHaveText('Uploaded', { timeout: 90_000 });
    // 100 MiB in 8 MiB parts: 13 part PUTs, each part once.
    expect([...parts].sort((a, b) => a - b)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    const id = await assetIdOf(page, 'big.bin');
    const list = await (await request.get('/asset?limit=100')).json();
    const asset = list.items.find((i: any) => i.asset_id === id);
    expect(asset.size).toBe(BIG);
    expect(asset.event_name).toBe('ObjectCreated:CompleteMultipartUpload');
    expect(asset.etag).toMatch(/-13$/);
    const got = await downloadBytes(request, id);
    expect(got.length).toBe(BIG);
    expect(await sha256(got)).toBe(await sha256(bigBytes()));
    // Nothing left to resume.
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('ferry-upload')))).toEqual([]);
  });

  test('reloading mid-upload and dropping the file again resumes it', async ({ page, request }) => {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 12 * MIB,
    });
    const first = partPuts(page);
    await dropBigFile(page);
    await expect.poll(() => first.length, { timeout: 60_000 }).toBeGreaterThanOrEqual(4);
    await page.reload();
    const before = [...first]; // listeners outlive the reload: keep what the first visit sent
    await hydrated(page);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
    });

    const second = partPuts(page);
    await dropBigFile(page);
    const r = row(page, 'big.bin');
    await expect(r.getByTestId('row-state')).toHaveText('Uploaded', { timeout: 90_000 });
    // The parts stored before the reload were not sent again.
    expect(second.length).toBeLessThanOrEqual(13 - before.length);
    for (const n of second) expect(before).not.toContain(n);
    // No part was sent twice (completeness is the hash check below).
    expect(new Set([...before, ...second]).size).toBe(before.length + second.length);
    const got = await downloadBytes(request, await assetIdOf(page, 'big.bin'));
    expect(await sha256(got)).toBe(await sha256(bigBytes()));
  });

  test('cancelling a multipart upload aborts it', async ({ page, request }) => {
    // Parts after the first are held until the cancel (a throttle alone let a fast machine
    // finish the whole file first), so the cancel always lands mid-upload.
    let release!: () => void;
    const cancelled = new Promise<void>((resolve) => (release = resolve));
    let sent = 0;
    await page.route(/partNumber=/, async (route) => {
      if (route.request().method() === 'PUT' && sent++ > 0) await cancelled;
      await route.continue().catch(() => {}); // an aborted request cannot be continued
    });
    const parts = partPuts(page);
    await dropBigFile(page);
    await expect.poll(() => parts.length, { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
    const r = row(page, 'big.bin');
    await r.getByRole('button', { name: 'Cancel big.bin' }).click();
    release();
    await expect(r.getByTestId('row-state')).toHaveText('Cancelled');
    await expect(r.getByTestId('asset-status')).toHaveText('DELETED');
    const id = await assetIdOf(page, 'big.bin');
    const list = await (await request.get('/asset?status=DELETED&limit=100')).json();
    expect(list.items.map((i: any) => i.asset_id)).toContain(id);
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('ferry-upload')))).toEqual([]);
  });
});

test('network errors and 5xx are retried with backoff, 4xx are not', async ({ page, request }) => {
  allowConsoleErrors(page, /status of 503/, /status of 403/, /ERR_INTERNET_DISCONNECTED/);
  let attempts = 0;
  await page.route(/X-Amz-Signature=/, async (route) => {
    if (route.request().method() !== 'PUT') return route.continue();
    attempts += 1;
    const name = decodeURIComponent(new URL(route.request().url()).pathname);
    if (name.endsWith('flaky.txt') && attempts === 1) {
      return route.fulfill({ status: 503, body: '<Error><Code>SlowDown</Code></Error>' });
    }
    if (name.endsWith('offline.txt') && attempts <= 3) return route.abort('internetdisconnected');
    if (name.endsWith('refused.txt')) {
      return route.fulfill({ status: 403, body: '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>' });
    }
    return route.continue();
  });

  await dropFiles(page, [{ name: 'flaky.txt', type: 'text/plain', text: 'eventually' }]);
  const flaky = row(page, 'flaky.txt');
  await expect(flaky.getByTestId('row-state')).toHaveText(/Retrying/);
  await expect(flaky.getByTestId('row-state')).toHaveText('Uploaded');
  expect(attempts).toBe(2);
  expect(await download(request, await assetIdOf(page, 'flaky.txt'))).toBe('eventually');

  attempts = 0;
  await dropFiles(page, [{ name: 'refused.txt', type: 'text/plain', text: 'no' }]);
  const refused = row(page, 'refused.txt');
  await expect(refused.getByTestId('row-state')).toHaveText('Failed');
  await expect(refused.getByTestId('row-error')).toHaveText('the upload link expired');
  await page.waitForTimeout(1500);
  expect(attempts).toBe(1); // a 4xx is not retried

  attempts = 0;
  await dropFiles(page, [{ name: 'offline.txt', type: 'text/plain', text: 'back online' }]);
  const offline = row(page, 'offline.txt');
  await expect(offline.getByTestId('row-state')).toHaveText('Uploaded', { timeout: 20_000 });
  expect(attempts).toBe(4); // three network failures (1 s, 3 s, 5 s apart), then success
});

test('a body altered on the way is refused by S3 and shown as an integrity error', async ({ page, request }) => {
  allowConsoleErrors(page, /status of 400/);
  const text = 'the bytes as they were picked';
  let puts = 0;
  let signedChecksum: string | null = null;
  await page.route(/X-Amz-Signature=/, async (route) => {
    const req = route.request();
    if (req.method() !== 'PUT') return route.continue();
    puts += 1;
    signedChecksum = req.headers()['x-amz-checksum-sha256'] ?? null;
    // The same length, one byte flipped: only the checksum can tell.
    const body = Buffer.from(req.postDataBuffer()!);
    body[4] ^= 0x20;
    return route.continue({ postData: body });
  });
  await dropFiles(page, [{ name: 'altered.txt', type: 'text/plain', text }]);
  const r = row(page, 'altered.txt');
  await expect(r.getByTestId('row-state')).toHaveText('Failed');
  await expect(r.getByTestId('row-error')).toContainText('changed or was corrupted on the way');
  await page.waitForTimeout(1500);
  expect(puts).toBe(1); // an integrity failure is not retried by itself
  expect(signedChecksum).toBe(await sha256b64(Buffer.from(text)));
  // Nothing was stored: the asset is still waiting for its bytes.
  const id = await assetIdOf(page, 'altered.txt');
  const list = await (await request.get('/asset?limit=100')).json();
  expect(list.items.find((i: any) => i.asset_id === id).state).toBe('CREATED');

  // A manual retry reads and hashes the file again; this time nothing alters the bytes.
  await page.unroute(/X-Amz-Signature=/);
  await r.getByRole('button', { name: 'Retry' }).click();
  await expect(r.getByTestId('row-state')).toHaveText('Uploaded');
  const retried = await assetIdOf(page, 'altered.txt');
  expect(await download(request, retried)).toBe(text);
  // The checksum S3 verified is on the asset's page.
  await r.getByRole('link', { name: 'View asset' }).click();
  await hydrated(page);
  await expect(page.getByTestId('checksum')).toHaveText(await sha256b64(Buffer.from(text)));
});

test('a part altered on the way is refused and the upload can be completed by a retry', async ({ page }) => {
  test.setTimeout(120_000);
  allowConsoleErrors(page, /status of 400/);
  let altered = 0;
  await page.route((url) => url.searchParams.get('partNumber') === '2', async (route) => {
    const req = route.request();
    if (req.method() !== 'PUT' || altered > 0) return route.continue();
    altered += 1;
    const body = Buffer.from(req.postDataBuffer()!);
    body[100] ^= 1;
    return route.continue({ postData: body });
  });
  await dropBigFile(page);
  const r = row(page, 'big.bin');
  await expect(r.getByTestId('row-state')).toHaveText('Failed', { timeout: 90_000 });
  await expect(r.getByTestId('row-error')).toContainText('changed or was corrupted on the way');
  await r.getByRole('button', { name: 'Retry' }).click();
  await expect(r.getByTestId('row-state')).toHaveText('Uploaded', { timeout: 90_000 });
  await r.getByRole('link', { name: 'View asset' }).click();
  await hydrated(page);
  await expect(page.getByTestId('checksum')).toHaveText(/^[A-Za-z0-9+/]{43}=-13$/);
});

test('dropping a real folder (as the OS does) keeps its relative paths', async ({ page, request }) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-drop-'));
  const dir = path.join(root, 'trip');
  fs.mkdirSync(path.join(dir, 'photos', 'raw'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'itinerary.txt'), 'day 1: sea');
  fs.writeFileSync(path.join(dir, 'photos', 'raw', 'a.txt'), 'raw a');
  await dropDirectory(page, dir);
  for (const name of ['trip/itinerary.txt', 'trip/photos/raw/a.txt']) {
    await expect(row(page, name).getByTestId('row-state')).toHaveText('Uploaded');
  }
  expect(await download(request, await assetIdOf(page, 'trip/photos/raw/a.txt'))).toBe('raw a');
  fs.rmSync(root, { recursive: true, force: true });
});

test('more files than the batch limit are refused before any request', async ({ page }) => {
  await expect(page.locator('#upload-limits')).toContainText('100 files at a time');
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const files = Array.from({ length: 101 }, (_, i) => ({ name: `many-${i}.txt`, type: 'text/plain', text: 'x' }));
  await dropFiles(page, files);
  await expect(page.getByRole('alert')).toHaveText('101 files dropped; at most 100 can be added at once');
  await expect(page.getByTestId('upload-row')).toHaveCount(0);
  expect(requests.filter((u) => u.includes('/api/') || u.includes('X-Amz-'))).toEqual([]);
});

test('cancel all stops every unfinished upload', async ({ page, request }) => {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 256 * 1024,
  });
  const names = ['one.bin', 'two.bin', 'three.bin', 'four.bin', 'five.bin'];
  await dropFiles(page, names.map((name) => ({ name, type: 'application/octet-stream', size: 4 * MIB })));
  // Four upload at once; the fifth in path order (two.bin) waits for a free slot.
  await expect(page.getByTestId('row-state').filter({ hasText: /^Uploading/ })).toHaveCount(4);
  await expect(row(page, 'two.bin').getByTestId('row-state')).toHaveText('Waiting');
  await expect(page.getByTestId('upload-row').first()).toHaveAttribute('data-name', 'five.bin');
  await page.getByRole('button', { name: 'Cancel all' }).click();
  for (const name of names) {
    await expect(row(page, name).getByTestId('row-state')).toHaveText('Cancelled');
  }
  await expect(page.getByRole('button', { name: 'Cancel all' })).toHaveCount(0);
  await page.waitForTimeout(500);
  const list = await (await request.get('/asset?status=RECEIVED&limit=100')).json();
  const received = list.items.map((i: any) => i.filename);
  for (const name of names) expect(received).not.toContain(name);
});
