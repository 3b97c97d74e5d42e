// The slow mobile link the split tests (tests/split.spec.ts) and the first-visit benchmark
// (bench/first-page.mjs) put a page on: 1.6 Mbit/s down, 750 kbit/s up, 150 ms round trip,
// with the cache disabled. CommonJS, so the TypeScript tests and the ES-module benchmark can
// both load it.

/**
 * Emulates the link for `page` through a CDP session, which it returns (for listening to the
 * page's network events).
 * @param {import('@playwright/test').Page} page
 * @returns {Promise<import('@playwright/test').CDPSession>}
 */
async function slowLink(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 150,
    downloadThroughput: 1_600_000 / 8,
    uploadThroughput: 750_000 / 8,
  });
  return cdp;
}

module.exports = { slowLink };
