import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadValkeyQueueOptionsFromEnv } from 'nestjs-valkey-queue';

const doc = readFileSync(fileURLToPath(new URL('../../docs/configuration.md', import.meta.url)), 'utf8');

/** Every variable `loadValkeyQueueOptionsFromEnv()` looks at, recorded by an environment that has none set. */
function variablesRead(): string[] {
  const read = new Set<string>();
  const env = new Proxy({} as NodeJS.ProcessEnv, {
    get: (_target, name) => {
      if (typeof name === 'string') read.add(name);
      return undefined;
    },
  });
  loadValkeyQueueOptionsFromEnv(env);
  return [...read].sort();
}

// Not an end-to-end test (no server): it lives with the README checks, which the e2e runner collects.
describe('docs/configuration.md', () => {
  it('lists every environment variable the loader reads', () => {
    const variables = variablesRead();
    expect(variables.length).toBeGreaterThan(20);
    expect(variables.filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
  });

  it('lists only variables the loader reads', () => {
    const documented = [...new Set(doc.match(/VALKEY_QUEUE_[A-Z0-9_]+[A-Z0-9]/g) ?? [])];
    const read = new Set(variablesRead());
    expect(documented.filter((name) => !read.has(name))).toEqual([]);
  });
});
