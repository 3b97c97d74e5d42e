import { defineConfig, devices } from '@playwright/test';
import * as path from 'node:path';

// scripts/test.sh picks a free port and a throw-away data directory; fall back to
// sensible values when the config is used directly.
const port = Number(process.env.FERRY_E2E_PORT ?? 3100);
const dataDir = process.env.FERRY_E2E_DATA_DIR ?? path.join(__dirname, '..', 'target', 'e2e-data');
const repoRoot = path.join(__dirname, '..');
const baseURL = `http://127.0.0.1:${port}`;
const ferry = path.join(repoRoot, 'target', 'debug', 'ferry');

// The signed-in tests (tests/auth.spec.ts) run against a second `ferry serve` with
// FERRY_AUTH=oidc, signing in at a test OpenID Connect issuer (oidc/provider.mjs, npm
// oidc-provider) on a third port. scripts/test.sh picks both ports and the data directory.
const authPort = Number(process.env.FERRY_E2E_AUTH_PORT ?? 3200);
const authDataDir =
  process.env.FERRY_E2E_AUTH_DATA_DIR ?? path.join(__dirname, '..', 'target', 'e2e-auth-data');
const authURL = `http://127.0.0.1:${authPort}`;
const oidcPort = Number(process.env.FERRY_E2E_OIDC_PORT ?? 4010);
const issuer = `http://127.0.0.1:${oidcPort}`;

// The fair-use test (tests/fair-use.spec.ts) runs against a third `ferry serve` that takes
// only a few upload tickets a minute from one client.
const limitedPort = Number(process.env.FERRY_E2E_LIMITED_PORT ?? 3300);
const limitedDataDir =
  process.env.FERRY_E2E_LIMITED_DATA_DIR ?? path.join(__dirname, '..', 'target', 'e2e-limited-data');
const limitedURL = `http://127.0.0.1:${limitedPort}`;
export const LIMITED_UPLOADS_PER_MINUTE = 3;

const chromium = {
  ...devices['Desktop Chrome'],
  launchOptions: {
    // Debian's Chromium: Playwright cannot download its own browser here.
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  },
};

const ferryEnv = {
  FERRY_SITE_ROOT: path.join(repoRoot, 'target', 'site'),
  RUST_LOG: 'info,tower_http=warn,dynoxide=error',
  // 120 MiB: room for the multipart test file, and a limit the tests can exceed.
  FERRY_MAX_UPLOAD_BYTES: String(120 * 1024 * 1024),
};

/** A `ferry serve` on `port` with its own data dir, ready once `url` answers. */
function ferryServe(port: number, dir: string, url: string, env: Record<string, string> = {}) {
  return {
    command: `${ferry} serve`,
    cwd: repoRoot,
    url,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
    gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 5_000 },
    env: { ...ferryEnv, FERRY_ADDR: `127.0.0.1:${port}`, FERRY_DATA_DIR: dir, ...env },
  };
}

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  outputDir: 'test-results',
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    // Ferry without sign-in (FERRY_AUTH=none): everything but the signed-in tests.
    { name: 'chromium', testIgnore: /(auth|fair-use)\.spec\.ts$/, use: chromium },
    // Ferry with sign-in at the test issuer (FERRY_AUTH=oidc).
    { name: 'oidc', testMatch: /auth\.spec\.ts$/, use: { ...chromium, baseURL: authURL } },
    // Ferry taking LIMITED_UPLOADS_PER_MINUTE upload tickets a minute (FERRY_UPLOAD_RATE_LIMIT).
    { name: 'limited', testMatch: /fair-use\.spec\.ts$/, use: { ...chromium, baseURL: limitedURL } },
  ],
  // Started in this order (the issuer before the Ferry that uses it), stopped after the run.
  webServer: [
    ferryServe(port, dataDir, `${baseURL}/`),
    {
      command: 'node oidc/provider.mjs',
      cwd: __dirname,
      url: `${issuer}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'pipe',
      stderr: 'pipe',
      gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
      env: { OIDC_PORT: String(oidcPort), FERRY_E2E_AUTH_URL: authURL },
    },
    // Any answer will do (with sign-in, pages redirect and the API answers 401).
    ferryServe(authPort, authDataDir, `${authURL}/favicon.ico`, {
      FERRY_AUTH: 'oidc',
      FERRY_OIDC_ISSUER: issuer,
      FERRY_OIDC_CLIENT_ID: 'ferry-e2e',
      FERRY_OIDC_CLIENT_SECRET: 'ferry-e2e-secret',
      FERRY_PUBLIC_URL: authURL,
    }),
    ferryServe(limitedPort, limitedDataDir, `${limitedURL}/`, {
      FERRY_UPLOAD_RATE_LIMIT: String(LIMITED_UPLOADS_PER_MINUTE),
    }),
  ],
});
