// Lighthouse (npm `lighthouse`, Debian's Chromium) on each page of a running Ferry, with the
// mobile and the desktop preset: the four category scores and the main metrics (figures, not
// a test). The Ferry gets 31 assets first (some received, for the buttons they bring), as the
// issue's audit had. The 404 page is audited too: Lighthouse stops at an error status unless
// told to go on (`ignoreStatusCode`), and then the status costs the page its SEO points for
// `http-status-code`, by design.
// Usage: node bench/lighthouse.mjs <ferry base URL> <report.md>
import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';
import * as fs from 'node:fs';

const [base, report] = process.argv.slice(2);
if (!base || !report) throw new Error('usage: lighthouse.mjs <base URL> <report.md>');

async function post(path, body) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${path}: ${res.status}`);
  return res.json();
}

// 31 assets; every third one with its bytes (received), the first an image.
const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
let image;
for (let i = 0; i < 31; i++) {
  const isImage = i === 0;
  const body = isImage ? png : Buffer.from(`file ${i}\n`);
  const type = isImage ? 'image/png' : 'text/plain';
  const ticket = await post('/asset', {
    filename: isImage ? 'picture.png' : `file-${i}.txt`,
    content_type: type,
    size: body.length,
  });
  if (isImage) image = ticket.id;
  if (i % 3 === 0) {
    const headers = Object.fromEntries(
      Object.entries(ticket.headers).filter(([k]) => k !== 'content-length'),
    );
    const put = await fetch(ticket.upload_url, { method: 'PUT', headers, body });
    if (put.status !== 200) throw new Error(`PUT: ${put.status}`);
  }
}

const pages = [
  ['/', '`/`'],
  ['/assets', '`/assets`'],
  [`/assets/${image}`, "an image's `/assets/{id}`"],
  ['/no-such-page', 'the 404 page', { ignoreStatusCode: true }],
];
const presets = ['mobile', 'desktop'];

const chrome = await chromeLauncher.launch({
  chromePath: '/usr/bin/chromium',
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu'],
});
const rows = [];
try {
  for (const [path, label, flags = {}] of pages) {
    for (const preset of presets) {
      const config = preset === 'desktop'
        ? (await import('lighthouse/core/config/desktop-config.js')).default
        : undefined;
      const result = await lighthouse(
        `${base}${path}`,
        { port: chrome.port, output: 'json', logLevel: 'error', ...flags },
        config,
      );
      const lhr = result.lhr;
      if (lhr.runtimeError) {
        rows.push({ label, preset, error: lhr.runtimeError.code });
        console.error(`${label} ${preset}: not audited (${lhr.runtimeError.code})`);
        continue;
      }
      const score = (c) => Math.round((lhr.categories[c]?.score ?? 0) * 100);
      const ms = (a) => lhr.audits[a]?.numericValue ?? NaN;
      rows.push({
        label,
        preset,
        perf: score('performance'),
        a11y: score('accessibility'),
        bp: score('best-practices'),
        seo: score('seo'),
        fcp: ms('first-contentful-paint'),
        lcp: ms('largest-contentful-paint'),
        tbt: ms('total-blocking-time'),
        cls: lhr.audits['cumulative-layout-shift']?.numericValue ?? NaN,
        failed: Object.values(lhr.audits)
          .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== 'informative'
            && a.scoreDisplayMode !== 'manual' && a.scoreDisplayMode !== 'notApplicable')
          .map((a) => a.id),
      });
      console.error(`${label} ${preset}: ${rows.at(-1).perf}/${rows.at(-1).a11y}/${rows.at(-1).bp}/${rows.at(-1).seo}`);
    }
  }
} finally {
  await chrome.kill();
}

const s = (v) => (v / 1000).toFixed(2);
let md = '# Lighthouse 12.8 (Debian Chromium, headless; release `ferry serve` on this machine)\n\n';
md += '| page | preset | performance | accessibility | best practices | SEO | FCP | LCP | TBT | CLS |\n';
md += '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n';
for (const r of rows) {
  if (r.error) {
    md += `| ${r.label} | ${r.preset} | not audited: \`${r.error}\` | | | | | | | |\n`;
    continue;
  }
  md += `| ${r.label} | ${r.preset} | ${r.perf} | ${r.a11y} | ${r.bp} | ${r.seo} | ${s(r.fcp)} s | ${s(r.lcp)} s | ${Math.round(r.tbt)} ms | ${r.cls.toFixed(3)} |\n`;
}
md += '\nAudits scoring under 0.9, per page and preset:\n\n';
for (const r of rows.filter((r) => !r.error)) {
  md += `- ${r.label}, ${r.preset}: ${r.failed.length ? r.failed.map((f) => `\`${f}\``).join(', ') : 'none'}\n`;
}
fs.writeFileSync(report, md);
console.log(md);
