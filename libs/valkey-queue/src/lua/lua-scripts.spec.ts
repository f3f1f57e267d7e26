import { readdirSync, readFileSync } from 'node:fs';
import { composeLua, LUA_SCRIPTS } from './lua-scripts.js';

const fragmentsDir = new URL('./fragments/', import.meta.url);
const fragments = (files: Record<string, string>) => (name: string) => {
  const text = files[name];
  if (text === undefined) throw new Error(`no fragment ${name}`);
  return text;
};

describe('composeLua', () => {
  it('replaces each include line with its fragment, placing a fragment once', () => {
    const read = fragments({
      clock: 'local function nowMs() return 1 end\n',
      twice: '--#include clock\nlocal x = 2',
    });
    expect(composeLua('-- header\n--#include clock\n--#include twice\nreturn nowMs()', read)).toBe(
      '-- header\nlocal function nowMs() return 1 end\n-- (fragment clock is above)\nlocal x = 2\nreturn nowMs()',
    );
  });

  it('refuses a fragment that includes itself, and an unknown fragment', () => {
    const read = fragments({ a: '--#include b', b: '--#include a' });
    expect(() => composeLua('--#include a', read)).toThrow(/'a' includes itself \(a -> b -> a\)/);
    expect(() => composeLua('--#include missing', read)).toThrow(/no fragment missing/);
  });

  it('leaves no include line in any script, and every fragment is used by one', () => {
    const used = new Set<string>();
    for (const [name, { lua }] of Object.entries(LUA_SCRIPTS)) {
      expect({ name, includes: lua.match(/^--#include .*$/gm) }).toEqual({ name, includes: null });
      for (const match of lua.matchAll(/^--\[\[ fragment ([a-z0-9-]+):/gm)) used.add(match[1]);
    }
    const files = readdirSync(fragmentsDir).filter((file) => file.endsWith('.lua'));
    expect(files.map((file) => file.replace(/\.lua$/, '')).sort()).toEqual([...used].sort());
    for (const file of files) {
      // the marker the check above reads, and what a reader of a composed script sees
      expect(readFileSync(new URL(file, fragmentsDir), 'utf8')).toMatch(/^--\[\[ fragment [a-z0-9-]+: /);
    }
  });
});
