// The upload page's throughput, side by side in one run (figures, not a test): the page as it
// is (each file or part hashed with WebCrypto, the SHA-256 signed into its URL), the same page
// where it cannot hash (an insecure context: no checksum, as before checksums existed), and a
// bare XMLHttpRequest PUT of the same bytes from the same page to a presigned URL (the
// browser's own speed). Each is timed inside the page: the page from the drop to the row's
// Uploaded (its ticket, hashing, PUT or parts, and confirmation included), the XHR from send
// to load. Usage: node bench/page-upload.mjs <ferry base URL> <report.md>
import { chromium } from '@playwright/test';
import * as fs from 'node:fs';

const [base, report] = process.argv.slice(2);
const MIB = 1024 * 1024;
const SIZES = [32 * MIB, 256 * MIB];
const ROUNDS = Number(process.env.FERRY_BENCH_ROUNDS ?? 3);

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });

/** A page of Ferry, hashing or not. */
async function open(hashing) {
  const context = await browser.newContext({ baseURL: base });
  if (!hashing) {
    await context.addInitScript(() =>
      Object.defineProperty(window, 'isSecureContext', { value: false }),
    );
  }
  const page = await context.newPage();
  await page.goto('/');
  await page.locator('html[data-hydrated=true]').waitFor();
  return { context, page };
}

/** Seconds from dropping a `size`-byte file on the page until its row says Uploaded. */
async function viaPage(hashing, size, round) {
  const { context, page } = await open(hashing);
  const name = `bench-${hashing ? 'h' : 'n'}-${size}-${round}.bin`;
  const dt = await page.evaluateHandle(({ size, name }) => {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i += 4096) bytes[i] = (i >> 12) & 0xff;
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name, { type: 'application/octet-stream' }));
    return dt;
  }, { size, name });
  const row = page.locator(`[data-testid=upload-row][data-name="${name}"] [data-testid=row-state]`);
  // Timed inside the page, as the bare XHR is: from the drop event to the moment the row says
  // Uploaded (a mutation observer's clock), not Playwright's round trips and polling, which
  // added up to half the time of a 32 MiB upload.
  await page.evaluate((name) => {
    const bench = (window.__bench = { drop: null, done: null });
    document.addEventListener('drop', () => (bench.drop ??= performance.now()), { capture: true });
    new MutationObserver(() => {
      const state = document.querySelector(
        `[data-testid=upload-row][data-name="${CSS.escape(name)}"] [data-testid=row-state]`,
      )?.textContent;
      if (bench.done === null && (state === 'Uploaded' || state === 'Failed')) bench.done = performance.now();
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  }, name);
  await page.dispatchEvent('[data-testid=dropzone]', 'drop', { dataTransfer: dt });
  await row.filter({ hasText: /^(Uploaded|Failed)$/ }).waitFor({ timeout: 300_000 });
  const { drop, done } = await page.evaluate(() => window.__bench);
  const seconds = (done - drop) / 1000;
  const state = await row.textContent();
  const why = await page.locator(`[data-testid=upload-row][data-name="${name}"] [data-testid=row-error]`).textContent().catch(() => '');
  await context.close();
  if (state !== 'Uploaded') throw new Error(`${name}: ${state}: ${why}`);
  return seconds;
}

/** Seconds for one bare XHR PUT of `size` bytes to a fresh presigned URL, from the page. */
async function viaXhr(size) {
  const { context, page } = await open(true);
  const seconds = await page.evaluate(async (size) => {
    const bytes = new Uint8Array(size);
    const ticket = await (await fetch('/asset', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filename: 'bench-xhr.bin', content_type: 'application/octet-stream', size }),
    })).json();
    const start = performance.now();
    await new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('PUT', ticket.upload_url);
      for (const [k, v] of Object.entries(ticket.headers)) {
        if (k !== 'content-length' && k !== 'host') xhr.setRequestHeader(k, v);
      }
      xhr.onload = () => (xhr.status === 200 ? resolve() : reject(new Error(`PUT ${xhr.status}`)));
      xhr.onerror = () => reject(new Error('network'));
      xhr.send(new Blob([bytes]));
    });
    return (performance.now() - start) / 1000;
  }, size);
  await context.close();
  return seconds;
}

/** WebCrypto's SHA-256 alone over `size` bytes already in memory, in this browser (MiB/s). */
async function hashRate(size) {
  const { context, page } = await open(true);
  const seconds = await page.evaluate(async (size) => {
    const bytes = new Uint8Array(size);
    const start = performance.now();
    await crypto.subtle.digest('SHA-256', bytes);
    return (performance.now() - start) / 1000;
  }, size);
  await context.close();
  return size / MIB / seconds;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const size of SIZES) {
  const times = { hashing: [], plain: [], xhr: [] };
  for (let r = 0; r < ROUNDS; r++) {
    // Interleaved, so drift on a noisy machine hits every way alike.
    times.hashing.push(await viaPage(true, size, r));
    times.plain.push(await viaPage(false, size, r));
    if (size <= 64 * MIB) times.xhr.push(await viaXhr(size));
  }
  const rate = (s) => (s ? (size / MIB / s).toFixed(1) : '–');
  const h = median(times.hashing), p = median(times.plain), x = times.xhr.length ? median(times.xhr) : null;
  const vsXhr = (s) => (x ? `${(x / s).toFixed(2)}×` : 'n/a');
  rows.push(
    `| ${size / MIB} MiB (${size > 64 * MIB ? 'multipart' : 'single PUT'}) | ${rate(h)} | ${rate(p)} | ` +
      `${(p / h).toFixed(2)}× | ${x ? rate(x) : 'n/a'} | ${vsXhr(h)} | ${vsXhr(p)} |`,
  );
  console.error(size / MIB, 'MiB', JSON.stringify(times));
}
const hashing = [];
for (let r = 0; r < ROUNDS; r++) hashing.push(await hashRate(256 * MIB));
await browser.close();

const md = [
  '# Upload page throughput',
  `MiB/s, median of ${ROUNDS} interleaved runs, timed inside the page: from the drop event until`,
  'its row says Uploaded (ticket, hashing, transfer, S3 reported it and the page confirmed it);',
  'the bare XHR from send to load, its ticket made beforehand.',
  '',
  '| file | page, hashing (checksums) | page, no hashing | hashing ÷ no hashing | bare XHR PUT | page (hashing) ÷ XHR | page (no hashing) ÷ XHR |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...rows,
  '',
  `WebCrypto SHA-256 alone, 256 MiB in memory: ${median(hashing).toFixed(0)} MiB/s. On this machine the`,
  'browser, the server and the embedded S3 share the same cores, so hashing competes with the',
  'transfer; against a remote S3 it overlaps the network instead.',
  '',
].join('\n');
fs.writeFileSync(report, md);
process.stdout.write(md);
