// The upload page's throughput beside the tools people would use instead, side by side in one
// run (figures, not a test): the page as it is (each file or part hashed with WebCrypto, the
// SHA-256 signed into its URL), the same page where it cannot hash (an insecure context: no
// checksum, as before checksums existed), a bare XMLHttpRequest PUT of the same bytes from the
// same page to a presigned URL (the browser's own speed), boto3's default managed transfer
// (`upload_file`, the engine of `aws s3 cp`: default TransferConfig, so 8 MiB threshold and
// parts, 10 threads, and botocore's default checksums and payload signing) straight to the
// embedded S3 with the data dir's credentials, and `curl -T` of the same bytes to a presigned
// URL from `POST /asset`. Every way sends the same file from disk (the page and the XHR
// through file inputs). The ways take turns in every round. Timing: the page inside the
// page, from picking the file to the row's Uploaded (its ticket, hashing, PUT or parts, and
// confirmation included); the XHR from send to load; boto3 inside Python around `upload_file`
// alone (the file already on disk; interpreter start and the client's construction left
// out); curl by its own `%{time_total}` (its ticket made beforehand). boto3's object is
// checked with HeadObject, curl's with `/metadata` (what S3's event recorded): a wrong size
// is an error, not a figure.
// Usage: FERRY_BENCH_DATA_DIR=<the server's FERRY_DATA_DIR> FERRY_BENCH_PYTHON=<a python with
//   boto3, e.g. "$(scripts/infra-tools.sh)/python"> node bench/page-upload.mjs <ferry base URL> <report.md>
// (the data dir's credentials.json holds the keys the embedded S3 accepts; its endpoint and
// bucket are those of a presigned URL the server hands out). FERRY_BENCH_ROUNDS (default 3).
import { chromium } from '@playwright/test';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const [base, report] = process.argv.slice(2);
const MIB = 1024 * 1024;
const SIZES = [32 * MIB, 256 * MIB];
const ROUNDS = Number(process.env.FERRY_BENCH_ROUNDS ?? 3);
const DATA_DIR = process.env.FERRY_BENCH_DATA_DIR;
const PYTHON = process.env.FERRY_BENCH_PYTHON;
if (!base || !report || !DATA_DIR || !PYTHON) {
  throw new Error(
    'usage: FERRY_BENCH_DATA_DIR=<ferry data dir> FERRY_BENCH_PYTHON=<python with boto3> ' +
      'node bench/page-upload.mjs <ferry base URL> <report.md>',
  );
}

/** A ticket for a single presigned PUT of `size` bytes, from Ferry's REST API. */
async function ticket(filename, size) {
  const res = await fetch(`${base}/asset`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ filename, content_type: 'application/octet-stream', size }),
  });
  if (!res.ok) throw new Error(`POST /asset ${res.status}: ${await res.text()}`);
  return res.json();
}

/** The headers a ticket lists that a client sets itself (not those its HTTP stack sets). */
const sentHeaders = (t) =>
  Object.entries(t.headers).filter(([k]) => k !== 'content-length' && k !== 'host');

// The embedded S3 as a tool outside the browser sees it: the endpoint and bucket of a
// presigned URL, the keys of credentials.json.
const s3 = await (async () => {
  const t = await ticket('bench-endpoint.bin', 1);
  const creds = JSON.parse(fs.readFileSync(path.join(DATA_DIR, 'credentials.json'), 'utf8'));
  return { endpoint: new URL(t.upload_url).origin, bucket: t.bucket, ...creds };
})();

// The files boto3 and curl send, with the bytes the page sends.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-page-upload-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const files = new Map(
  SIZES.map((size) => {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i += 4096) bytes[i] = (i >> 12) & 0xff;
    const file = path.join(tmp, `bench-${size}.bin`);
    fs.writeFileSync(file, bytes);
    return [size, file];
  }),
);

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

/** Seconds from picking the `size`-byte file in the page's file input until its row says Uploaded. */
async function viaPage(hashing, size) {
  const { context, page } = await open(hashing);
  const name = path.basename(files.get(size));
  const row = page.locator(`[data-testid=upload-row][data-name="${name}"] [data-testid=row-state]`);
  // Timed inside the page, as the bare XHR is: from the input's change event to the moment the
  // row says Uploaded (a mutation observer's clock), not Playwright's round trips and polling,
  // which added up to half the time of a 32 MiB upload.
  await page.evaluate((name) => {
    const bench = (window.__bench = { picked: null, done: null });
    document.addEventListener('change', () => (bench.picked ??= performance.now()), { capture: true });
    new MutationObserver(() => {
      const state = document.querySelector(
        `[data-testid=upload-row][data-name="${CSS.escape(name)}"] [data-testid=row-state]`,
      )?.textContent;
      if (bench.done === null && (state === 'Uploaded' || state === 'Failed')) bench.done = performance.now();
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  }, name);
  // The file from disk, as a user picks it (a memory-built File of 256 MiB in a fresh browser
  // context had parts Chromium could not read: NotReadableError on every try).
  await page.setInputFiles('#file-input', files.get(size));
  await row.filter({ hasText: /^(Uploaded|Failed)$/ }).waitFor({ timeout: 300_000 });
  const { picked, done } = await page.evaluate(() => window.__bench);
  const seconds = (done - picked) / 1000;
  const state = await row.textContent();
  const why = await page.locator(`[data-testid=upload-row][data-name="${name}"] [data-testid=row-error]`).textContent().catch(() => '');
  await context.close();
  if (state !== 'Uploaded') throw new Error(`${name}: ${state}: ${why}`);
  return seconds;
}

/** Seconds for one bare XHR PUT of the same file, picked in an input of its own, to a fresh presigned URL. */
async function viaXhr(size) {
  const { context, page } = await open(true);
  const t = await ticket('bench-xhr.bin', size);
  await page.evaluate(() => {
    const input = document.createElement('input');
    input.type = 'file';
    input.id = 'bench-xhr-input';
    document.body.append(input);
  });
  await page.setInputFiles('#bench-xhr-input', files.get(size));
  const seconds = await page.evaluate(async ({ url, headers }) => {
    const file = document.getElementById('bench-xhr-input').files[0];
    const start = performance.now();
    await new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('PUT', url);
      for (const [k, v] of headers) xhr.setRequestHeader(k, v);
      xhr.onload = () => (xhr.status === 200 ? resolve() : reject(new Error(`PUT ${xhr.status}`)));
      xhr.onerror = () => reject(new Error('network'));
      xhr.send(file);
    });
    return (performance.now() - start) / 1000;
  }, { url: t.upload_url, headers: sentHeaders(t) });
  await context.close();
  return seconds;
}

// boto3's upload_file as a user runs it: a client for the endpoint (path-style, us-east-1) and
// otherwise every default. Only the transfer is timed; the request hook merely notes which
// integrity headers botocore chose. The object must then be there with the file's size.
const BOTO3 = `
import json, sys, time
import boto3, botocore, s3transfer
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
endpoint, bucket, key, file, size = sys.argv[1:]
client = boto3.client('s3', endpoint_url=endpoint, region_name='us-east-1',
                      config=Config(s3={'addressing_style': 'path'}))
puts, integrity = 0, set()
def note(request, **_):
    global puts
    if request.method != 'PUT':
        return
    puts += 1
    for k, v in request.headers.items():
        k = k.lower()
        if k.startswith('x-amz-checksum-'):
            integrity.add(k)
        elif k == 'x-amz-content-sha256':
            v = v.decode() if isinstance(v, bytes) else v
            integrity.add('payload ' + ('SHA-256 signed' if len(v) == 64 else v))
client.meta.events.register('before-send.s3', note)
start = time.perf_counter()
client.upload_file(file, bucket, key)
seconds = time.perf_counter() - start
stored = client.head_object(Bucket=bucket, Key=key)['ContentLength']
if stored != int(size):
    sys.exit(f'{key}: S3 holds {stored} bytes, not {size}')
try:
    from boto3.s3.transfer import _should_use_crt
    engine = 'CRT' if _should_use_crt(TransferConfig()) else 's3transfer'
except Exception:
    engine = 'unknown'
c = TransferConfig()
print(json.dumps({'seconds': seconds, 'puts': puts, 'integrity': sorted(integrity),
                  'engine': engine, 'threshold': c.multipart_threshold,
                  'chunk': c.multipart_chunksize, 'threads': c.max_concurrency,
                  'versions': f'boto3 {boto3.__version__}, botocore {botocore.__version__}, '
                              f's3transfer {s3transfer.__version__}'}))
`;
/** The last boto3 run of each size: what it sent, and with which versions. */
const boto3Runs = new Map();

/** Seconds for boto3's upload_file of the `size`-byte file to the embedded S3. */
async function viaBoto3(size, round) {
  // Outside Ferry's uploads/: S3's event records such an object as another tool's, as it is;
  // under uploads/ an object without a ticket meets the arrival rules (and is deleted if it
  // breaks one) before S3 answers.
  const key = `bench/boto3-${size}-${round}.bin`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: s3.access_key,
    AWS_SECRET_ACCESS_KEY: s3.secret_key,
    // Nothing from ~/.aws: the defaults a fresh install has.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  });
  const { stdout } = await run(PYTHON, ['-c', BOTO3, s3.endpoint, s3.bucket, key, files.get(size), String(size)], { env });
  const out = JSON.parse(stdout);
  boto3Runs.set(size, out);
  return out.seconds;
}

/** Seconds for `curl -T` of the `size`-byte file to a fresh presigned URL (curl's own clock). */
async function viaCurl(size, round) {
  const t = await ticket(`bench-curl-${size}-${round}.bin`, size);
  const headers = sentHeaders(t).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const { stdout } = await run('curl', [
    '-sS', '-o', '/dev/null', '-w', '%{http_code} %{time_total}', '-T', files.get(size), ...headers, t.upload_url,
  ]);
  const [status, seconds] = stdout.trim().split(' ');
  if (status !== '200') throw new Error(`curl PUT ${size}: ${status}`);
  const q = new URLSearchParams({ bucket: t.bucket, key: t.object_key });
  const meta = await (await fetch(`${base}/metadata?${q}`)).json();
  if (meta.size !== size) throw new Error(`curl PUT ${size}: S3 recorded ${JSON.stringify(meta)}`);
  return Number(seconds);
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
const goals = [];
for (const size of SIZES) {
  const multipart = size > 64 * MIB;
  const times = { hashing: [], plain: [], xhr: [], boto3: [], curl: [] };
  for (let r = 0; r < ROUNDS; r++) {
    // Interleaved, so drift on a noisy machine hits every way alike.
    times.hashing.push(await viaPage(true, size));
    times.plain.push(await viaPage(false, size));
    if (!multipart) times.xhr.push(await viaXhr(size));
    times.boto3.push(await viaBoto3(size, r));
    times.curl.push(await viaCurl(size, r));
  }
  const rate = (s) => (s ? (size / MIB / s).toFixed(1) : '–');
  const h = median(times.hashing), p = median(times.plain), x = times.xhr.length ? median(times.xhr) : null;
  const b = median(times.boto3), c = median(times.curl);
  const ratio = (other, s) => (other ? `${(other / s).toFixed(2)}×` : 'n/a');
  rows.push(
    `| ${size / MIB} MiB (${multipart ? 'multipart' : 'single PUT'}) | ${rate(h)} | ${rate(p)} | ` +
      `${(p / h).toFixed(2)}× | ${x ? rate(x) : 'n/a'} | ${rate(b)} | ${rate(c)} | ` +
      `${ratio(x, h)} | ${ratio(x, p)} | ${ratio(b, h)} |`,
  );
  goals.push(
    multipart
      ? `- ${size / MIB} MiB, multipart: page (hashing) ÷ boto3 **${ratio(b, h)}** (goal ≥ 1.00×)`
      : `- ${size / MIB} MiB, single PUT: page (hashing) ÷ bare XHR **${ratio(x, h)}** (goal ≥ 0.90×)`,
  );
  console.error(size / MIB, 'MiB', JSON.stringify(times));
}
const hashing = [];
for (let r = 0; r < ROUNDS; r++) hashing.push(await hashRate(256 * MIB));
await browser.close();

const curlVersion = (await run('curl', ['--version'])).stdout.split(' ').slice(0, 2).join(' '); // "curl 7.88.1"
const b3 = boto3Runs.get(SIZES[0]);
/** What botocore's integrity headers mean, in words. */
const sent = (headers) =>
  headers
    .map((h) =>
      h === 'payload SHA-256 signed'
        ? "the payload's SHA-256, signed (botocore signs payloads over plain http)"
        : h.startsWith('x-amz-checksum-')
          ? `a ${h.slice('x-amz-checksum-'.length).toUpperCase()} checksum (\`${h}\`; boto3 ≥ 1.36 adds one by default)`
          : h,
    )
    .join(' and ') || 'no checksum';
const puts = SIZES.map((size) => `${boto3Runs.get(size).puts} for ${size / MIB} MiB`).join(', ');
const md = [
  '# Upload page throughput',
  `MiB/s, median of ${ROUNDS} interleaved runs of the same file on disk, timed inside the page:`,
  'from picking the file in its file input until its row says Uploaded (ticket, hashing, transfer, S3 reported it and the page confirmed it);',
  'the bare XHR from send to load, its ticket made beforehand; boto3 inside Python around',
  '`upload_file` alone; curl by its `%{time_total}`, its ticket made beforehand.',
  '',
  '| file | page, hashing (checksums) | page, no hashing | hashing ÷ no hashing | bare XHR PUT | boto3 `upload_file` | `curl -T` | page (hashing) ÷ XHR | page (no hashing) ÷ XHR | page (hashing) ÷ boto3 |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows,
  '',
  'Goals (issue 16):',
  ...goals,
  '',
  `WebCrypto SHA-256 alone, 256 MiB in memory: ${median(hashing).toFixed(0)} MiB/s. On this machine the`,
  'browser, the server and the embedded S3 share the same cores, so hashing competes with the',
  'transfer; against a remote S3 it overlaps the network instead.',
  '',
  `boto3 \`upload_file\` (${b3.versions}; the ${b3.engine} engine) with every default:`,
  `multipart above ${b3.threshold / MIB} MiB, ${b3.chunk / MIB} MiB parts, ${b3.threads} threads (PUT requests: ${puts}; so`,
  "boto3 sends even the single-PUT row's file in parts), straight to the embedded S3 at a key",
  "outside `uploads/` with the data dir's credentials. With each PUT botocore sent",
  `${sent(b3.integrity)}.`,
  `${curlVersion}: one presigned PUT whatever the size, \`Expect: 100-continue\` as curl sends it.`,
  '',
].join('\n');
fs.writeFileSync(report, md);
process.stdout.write(md);
