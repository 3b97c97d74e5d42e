// How long a first visit takes to become interactive on a slow mobile link (figures, not a
// test): Chromium with CDP network throttling (1.6 Mbit/s down, 750 kbit/s up, 150 ms round
// trip) and an empty cache, from navigation until `<html data-hydrated>` (set once the
// route's controls are live), for `/`, `/assets` and one asset's page; with the bytes of
// WebAssembly, JS and CSS the visit fetched. Median of FERRY_BENCH_ROUNDS (default 5) visits.
// Usage: node bench/first-page.mjs <ferry base URL> <report.md>
import { chromium } from '@playwright/test';
import * as fs from 'node:fs';

const [base, report] = process.argv.slice(2);
const ROUNDS = Number(process.env.FERRY_BENCH_ROUNDS ?? 5);

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });

const seed = await (await fetch(`${base}/asset`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ filename: 'bench.txt', content_type: 'text/plain' }),
})).json();

/** One cold visit of `path`: seconds to hydrated, and bytes of bundle fetched (encoded). */
async function visit(path) {
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 150,
    downloadThroughput: 1_600_000 / 8,
    uploadThroughput: 750_000 / 8,
  });
  let bytes = 0;
  cdp.on('Network.loadingFinished', (e) => (bytes += e.encodedDataLength));
  const start = Date.now();
  await page.goto(path);
  await page.locator('html[data-hydrated=true]').waitFor({ timeout: 120_000 });
  const seconds = (Date.now() - start) / 1000;
  await context.close();
  return { seconds, bytes };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const [label, path] of [
  ['`/` (upload)', '/'],
  ['`/assets`', '/assets'],
  ['`/assets/{id}`', `/assets/${seed.id}`],
]) {
  const runs = [];
  for (let i = 0; i < ROUNDS; i++) runs.push(await visit(path));
  rows.push(
    `| ${label} | ${median(runs.map((r) => r.seconds)).toFixed(2)} s | ` +
      `${(median(runs.map((r) => r.bytes)) / 1000).toFixed(1)} KB |`,
  );
}
await browser.close();

const text = [
  `Cold first visit on an emulated slow link (1.6 Mbit/s, 150 ms RTT, no cache), median of ${ROUNDS}:`,
  '',
  '| page | navigation to hydrated | bytes fetched (compressed) |',
  '|---|---:|---:|',
  ...rows,
  '',
].join('\n');
fs.writeFileSync(report, text);
console.log(text);
