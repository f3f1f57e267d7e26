import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
// @ts-expect-error: a plain ESM script without type declarations
import { checkArchitecture } from './check-architecture.mjs';

type Report = { files: number; problems: string[] };

/** A throwaway source tree: path -> file text. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('check-architecture', () => {
  const roots: string[] = [];
  const check = (files: Record<string, string>): Report => {
    const root = tree(files);
    roots.push(root);
    return checkArchitecture(root) as Report;
  };
  afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

  it('passes the library as it is', () => {
    expect((checkArchitecture() as Report).problems).toEqual([]);
  });

  it('reports an import from a lower layer to a higher one, type-only imports included', () => {
    const { problems } = check({
      'errors/a.error.ts': "import type { Worker } from '../workers/worker.js';\nexport const a = 1;\n",
      'workers/worker.ts': "import { a } from '../errors/a.error.js';\nexport type Worker = typeof a;\n",
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^errors\/a\.error\.ts -> workers\/worker\.ts: 'errors' \(layer 0\) imports 'workers'/,
      ),
      expect.stringMatching(/^circle: /),
    ]);
  });

  it('reports a circle inside one layer', () => {
    const { problems } = check({
      'envelope/a.ts': "export { b } from './b.js';\nexport const a = 1;\n",
      'envelope/b.ts': "import { a } from './a.js';\nexport const b = a;\n",
    });
    expect(problems).toEqual(['circle: envelope/a.ts -> envelope/b.ts -> envelope/a.ts']);
  });

  it('reports a file outside every layer, and ignores specs', () => {
    const { problems, files } = check({
      'stray/thing.ts': 'export const thing = 1;\n',
      'utils/x.spec.ts': "import { thing } from '../stray/thing.js';\n",
    });
    expect(files).toBe(1);
    expect(problems).toEqual(['stray/thing.ts: in no layer (add its folder to LAYERS)']);
  });
});
