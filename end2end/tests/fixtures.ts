import { test as base, expect, Page } from '@playwright/test';

/**
 * Every test fails if the page logs a console error or throws: hydration mismatches,
 * missing files (favicon, wasm) and panics in the wasm all surface this way.
 */
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(msg.text());
      });
      page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
      await use(errors);
      const allowed = [...expectedErrors, ...(allowedByTest.get(page) ?? [])];
      const unexpected = errors.filter((e) => !allowed.some((re) => re.test(e)));
      expect(unexpected, 'console errors').toEqual([]);
    },
    { auto: true },
  ],
});

// Pages that answer 404 on purpose make Chromium log the failed document load.
const expectedErrors = [/status of 404 \(Not Found\)/];
const allowedByTest = new WeakMap<Page, RegExp[]>();

/** Declares console errors a test provokes on purpose (e.g. failed requests it injects). */
export function allowConsoleErrors(page: Page, ...patterns: RegExp[]) {
  allowedByTest.set(page, [...(allowedByTest.get(page) ?? []), ...patterns]);
}

/** Waits until the WebAssembly side has taken over the page. */
export async function hydrated(page: Page) {
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
}

export { expect };
