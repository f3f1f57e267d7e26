import { readFileSync } from 'node:fs';

/** The files the page loads; nothing else is served. */
type AssetName = 'index.html' | 'app.js' | 'app.css';

const cache = new Map<AssetName, string>();

/** One of the dashboard's own files, shipped in the package beside this module (read once). @internal */
export function dashboardAsset(name: AssetName): string {
  let body = cache.get(name);
  if (body === undefined) {
    body = readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
    cache.set(name, body);
  }
  return body;
}

/** The page, with the mount path (checked at forRoot: URL-safe characters only) filled in. @internal */
export function dashboardPage(path: string): string {
  return dashboardAsset('index.html').replaceAll('{{base}}', path);
}
