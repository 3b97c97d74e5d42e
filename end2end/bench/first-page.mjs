// How long a first visit takes to become interactive on a slow mobile link (figures, not a
// test): Chromium with CDP network throttling (1.6 Mbit/s down, 750 kbit/s up, 150 ms round
// trip) and an empty cache, from navigation until `<html data-hydrated>` (set once the
// route's controls are live), for `/`, `/assets` and one asset's page; with the bytes of
// WebAssembly, JS and CSS the visit fetched. Median of FERRY_BENCH_ROUNDS (default 5) visits.
//
// Given more than one Ferry (e.g. this tree and an earlier commit, each serving its own
// build), their visits take turns, so the figures are measured side by side in one run and
// the last column compares each with the first.
// Usage: node bench/first-page.mjs <report.md> <label>=<ferry base URL> [<label>=<url> ...]
import { chromium } from '@playwright/test';
import * as fs from 'node:fs';
import { slowLink } from '../slow-link.cjs';

const [report, ...specs] = process.argv.slice(2);
const ROUNDS = Number(process.env.FERRY_BENCH_ROUNDS ?? 5);
const targets = specs.map((spec) => {
  const at = spec.indexOf('=');
  if (at < 1) throw new Error(`expected <label>=<url>, got ${spec}`);
  return { label: spec.slice(0, at), base: spec.slice(at + 1) };
});
if (!report || targets.length === 0) throw new Error('usage: first-page.mjs <report.md> <label>=<url>...');

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });

// One asset on each Ferry, for its detail page.
for (const t of targets) {
  const res = await fetch(`${t.base}/asset`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ filename: 'bench.txt', content_type: 'text/plain' }),
  });
  if (res.status !== 201) throw new Error(`${t.label}: POST /asset answered ${res.status}`);
  t.asset = (await res.json()).id;
}

/** One cold visit of `path` on `base`: seconds to hydrated, and bytes fetched (encoded). */
async function visit(base, path) {
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  const cdp = await slowLink(page);
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
const pages = [
  ['`/` (upload)', () => '/'],
  ['`/assets`', () => '/assets'],
  ['`/assets/{id}`', (t) => `/assets/${t.asset}`],
];
const rows = [];
for (const [label, path] of pages) {
  const runs = targets.map(() => []);
  for (let i = 0; i < ROUNDS; i++) {
    for (const [n, t] of targets.entries()) runs[n].push(await visit(t.base, path(t)));
  }
  const cells = runs.map((r) => ({
    seconds: median(r.map((v) => v.seconds)),
    kb: median(r.map((v) => v.bytes)) / 1000,
  }));
  const first = cells[0].seconds;
  rows.push(
    `| ${label} | ` +
      cells
        .map((c, n) => {
          const vs = n === 0 ? '' : ` (${(c.seconds / first).toFixed(2)}×)`;
          return `${c.seconds.toFixed(2)} s${vs} | ${c.kb.toFixed(1)} KB`;
        })
        .join(' | ') +
      ' |',
  );
}
await browser.close();

const head = targets.map((t) => `${t.label}: to hydrated | ${t.label}: bytes fetched`).join(' | ');
const text = [
  '# First visit on a slow link (release `ferry serve`, Chromium with network throttling)',
  '',
  `Cold first visit on an emulated slow link (1.6 Mbit/s, 150 ms RTT, no cache), median of ` +
    `${ROUNDS}${targets.length > 1 ? ', visits taking turns' : ''}; bytes as sent (compressed):`,
  '',
  `| page | ${head} |`,
  `|---|${targets.map(() => '---:|---:').join('|')}|`,
  ...rows,
  '',
].join('\n');
fs.writeFileSync(report, text);
console.log(text);
