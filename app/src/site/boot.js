// Starts the WebAssembly once the server-rendered page has been painted, so that the page's
// content never waits for the bundle. Prefixed by the server with `js` and `wasm` (the glue's
// and the main module's URLs); the modules the page's route needs are named by its
// `<meta name="ferry-module">` tags. All of them are fetched side by side.
const fetchEarly = (href) => {
  const link = document.createElement('link');
  if (href.endsWith('.js')) {
    link.rel = 'modulepreload';
  } else {
    link.rel = 'preload';
    link.as = 'fetch';
    link.type = 'application/wasm';
    link.crossOrigin = '';
  }
  link.href = href;
  document.head.append(link);
};
const start = async () => {
  const modules = [...document.querySelectorAll('meta[name="ferry-module"]')].map((m) => m.content);
  [wasm, ...modules].forEach(fetchEarly);
  const { default: init, hydrate } = await import(js);
  await init({ module_or_path: wasm });
  // Instantiating and hydrating are two tasks, not one long one that blocks the page.
  await new Promise((resolve) => setTimeout(resolve));
  hydrate();
};
// Once the first contentful paint is reported (or at the first change of visibility: a
// hidden tab paints nothing); where paint timing is not reported, after the next frame.
let started = false;
const startOnce = () => {
  if (!started) {
    started = true;
    start();
  }
};
if (document.visibilityState === 'hidden') {
  startOnce();
} else if (PerformanceObserver.supportedEntryTypes?.includes('paint')) {
  document.addEventListener('visibilitychange', startOnce, { once: true });
  new PerformanceObserver((entries, observer) => {
    if (entries.getEntriesByName('first-contentful-paint').length > 0) {
      observer.disconnect();
      startOnce();
    }
  }).observe({ type: 'paint', buffered: true });
} else {
  requestAnimationFrame(() => setTimeout(startOnce));
}
