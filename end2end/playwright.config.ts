import { defineConfig, devices } from '@playwright/test';
import * as path from 'node:path';

// scripts/test.sh picks a free port and a throw-away data directory; fall back to
// sensible values when the config is used directly.
const port = Number(process.env.FERRY_E2E_PORT ?? 3100);
const dataDir = process.env.FERRY_E2E_DATA_DIR ?? path.join(__dirname, '..', 'target', 'e2e-data');
const repoRoot = path.join(__dirname, '..');
const baseURL = `http://127.0.0.1:${port}`;

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
    {
      name: 'chromium',
      use: {
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
      },
    },
  ],
  webServer: {
    command: `${path.join(repoRoot, 'target', 'debug', 'ferry')} serve`,
    cwd: repoRoot,
    url: `${baseURL}/`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
    env: {
      FERRY_ADDR: `127.0.0.1:${port}`,
      FERRY_DATA_DIR: dataDir,
      FERRY_SITE_ROOT: path.join(repoRoot, 'target', 'site'),
      RUST_LOG: 'info,tower_http=warn,dynoxide=error',
      // 120 MiB: room for the multipart test file, and a limit the tests can exceed.
      FERRY_MAX_UPLOAD_BYTES: String(120 * 1024 * 1024),
    },
  },
});
