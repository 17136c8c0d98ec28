/**
 * The Ink front end, once its layout engine is ready. yoga-layout instantiates its WebAssembly
 * with a top-level await, which a CommonJS bundle cannot hold: the bundle swaps it for a module
 * that does the same work in `ready()` (scripts/yoga-shim.mjs), called here before Ink's first
 * layout. Run from sources, yoga-layout is the real module and has no `ready`.
 */
export async function loadTui(): Promise<typeof import('./run.js')> {
  const yoga = (await import('yoga-layout')) as {ready?: () => Promise<void>};
  await yoga.ready?.();
  return import('./run.js');
}
