import { test as base, expect, Page, APIRequestContext } from '@playwright/test';

/**
 * Every test fails if the page logs a console error or throws: hydration mismatches,
 * missing files (favicon, wasm) and panics in the wasm all surface this way.
 *
 * And on any Content-Security-Policy violation, in any page of the test's context, which no
 * test can allow: Chromium's console message ("… violates the following Content Security
 * Policy directive …") and the `securitypolicyviolation` event, which an init script turns
 * into a console message of its own.
 */
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page, context }, use) => {
      const errors: string[] = [];
      const violations: string[] = [];
      await context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
          console.warn(
            `CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} ` +
              `at ${e.sourceFile}:${e.lineNumber}`,
          );
        });
      });
      context.on('console', (msg) => {
        const text = msg.text();
        if (/CSP violation|Content Security Policy/i.test(text)) violations.push(text);
        else if (msg.type() === 'error' && msg.page() === page) errors.push(text);
      });
      page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
      await use(errors);
      expect(violations, 'Content-Security-Policy violations').toEqual([]);
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

export type Spec = { name: string; type: string; text?: string; size?: number };

/** Drops files on the drop zone with a DataTransfer built in the page, as a browser drop does. */
export async function dropFiles(page: Page, files: Spec[]) {
  const dt = await page.evaluateHandle((files) => {
    const dt = new DataTransfer();
    for (const f of files) {
      const body = f.text !== undefined ? [f.text] : [new Uint8Array(f.size ?? 0)];
      dt.items.add(new File(body, f.name, { type: f.type }));
    }
    return dt;
  }, files);
  await page.dispatchEvent('[data-testid=dropzone]', 'dragover', { dataTransfer: dt });
  await expect(page.getByTestId('dropzone')).toHaveClass(/dragging/);
  await page.dispatchEvent('[data-testid=dropzone]', 'drop', { dataTransfer: dt });
}

/** Drops a directory of the disk on the drop zone as a desktop file manager does: a native
 * drag and drop through the DevTools protocol, so the page gets real FileSystemEntry objects. */
export async function dropDirectory(page: Page, dir: string) {
  const cdp = await page.context().newCDPSession(page);
  const box = (await page.getByTestId('dropzone').boundingBox())!;
  const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  const data = { items: [], files: [dir], dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop'] as const) {
    await cdp.send('Input.dispatchDragEvent', { type, ...at, data });
  }
}

export function row(page: Page, name: string) {
  return page.locator(`[data-testid=upload-row][data-name="${name}"]`);
}

/** The headers an upload ticket says to send (its URL is signed with them); the length is
 * set by the request itself. */
export function told(ticket: { headers: Record<string, string> }): Record<string, string> {
  return Object.fromEntries(Object.entries(ticket.headers).filter(([k]) => k !== 'content-length'));
}

export type Status = 'CREATED' | 'RECEIVED' | 'UPLOADED' | 'DELETED';

/** Creates an asset through the REST API and brings it to `status` the way clients do. */
export async function seed(
  request: APIRequestContext,
  name: string,
  status: Status,
  body: string | Buffer = `contents of ${name}`,
  type = 'text/plain',
): Promise<string> {
  const created = await request.post('/asset', {
    data: { filename: name, content_type: type, size: Buffer.byteLength(body) },
  });
  expect(created.status()).toBe(201);
  const ticket = await created.json();
  const id: string = ticket.id;
  if (status === 'CREATED') return id;
  const put = await request.put(ticket.upload_url, {
    headers: told(ticket),
    data: typeof body === 'string' ? Buffer.from(body) : body,
  });
  expect(put.status()).toBe(200);
  // The S3 event has been recorded once the object can be downloaded.
  await expect.poll(async () => (await request.get(`/asset/${id}`)).status()).toBe(202);
  if (status === 'RECEIVED') return id;
  expect((await request.put(`/asset/${id}`)).status()).toBe(202);
  if (status === 'UPLOADED') return id;
  expect((await request.delete(`/asset/${id}`)).status()).toBe(204);
  return id;
}
