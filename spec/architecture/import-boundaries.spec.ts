/**
 * The import boundaries CONTRIBUTING.md states, checked over every source file: each rule names
 * a folder and what its files may import (other folders of the tree, Node built-ins, packages).
 * Static imports, `export … from`, `import()` and `require()` all count (ts.preProcessFile).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');

interface Rule {
  /** The folder (or file) whose imports the rule checks, from the repository root. */
  readonly from: string;
  /** Why, as CONTRIBUTING.md says it. */
  readonly claim: string;
  /** Files and folders of the tree its files may import (their own folder always). */
  readonly tree: readonly string[];
  /** Node built-ins (`node:…`) it may import; `'*'` for any. */
  readonly node: readonly string[] | '*';
  /** Packages it may import; `'*'` for any. */
  readonly packages: readonly string[] | '*';
}

const RULES: readonly Rule[] = [
  { from: 'broker/errors.ts', claim: 'the error catalog is a leaf', tree: [], node: [], packages: [] },
  {
    from: 'broker/stomp',
    claim: 'the wire protocol imports only itself, the error catalog and node:buffer (kept for speed)',
    tree: ['broker/errors.ts'],
    node: ['node:buffer'],
    packages: [],
  },
  { from: 'broker/stomp/body.ts', claim: 'body decoding is shared with the browser client: no imports', tree: [], node: [], packages: [] },
  { from: 'broker/destinations', claim: 'the destination grammar stands alone', tree: ['broker/errors.ts'], node: [], packages: [] },
  { from: 'broker/selectors', claim: 'selectors need only the destination grammar', tree: ['broker/destinations', 'broker/errors.ts'], node: [], packages: [] },
  {
    from: 'broker/messaging',
    claim: 'messaging knows no transport, session, app, cluster or operations',
    tree: ['broker/stomp', 'broker/destinations', 'broker/selectors', 'broker/errors.ts'],
    node: ['node:buffer', 'node:crypto'],
    packages: [],
  },
  {
    from: 'broker',
    claim: 'the broker never imports the client, the CLI, the NestJS module or the examples',
    tree: ['broker'],
    node: '*',
    packages: ['ws', 'prom-client', 'ioredis'],
  },
  { from: 'broker/stomp/offset-window.ts', claim: 'telling late stream offsets from repeated ones is shared with the browser client: no imports', tree: [], node: [], packages: [] },
  { from: 'client', claim: 'the client shares only body decoding and the offset window with the broker', tree: ['broker/stomp/body.ts', 'broker/stomp/offset-window.ts'], node: '*', packages: '*' },
  { from: 'nest', claim: 'the NestJS module builds on the broker', tree: ['broker'], node: [], packages: ['@nestjs/common', '@nestjs/core'] },
];

function sourceFiles(dir: string): string[] {
  const full = path.join(ROOT, dir);
  if (full.endsWith('.ts')) return [dir];
  return readdirSync(full, { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** The specifiers a file imports, by any of the four forms. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(path.join(ROOT, file), 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

const within = (target: string, place: string): boolean => target === place || target.startsWith(`${place}/`) || target === `${place}.ts`;

/** What a relative specifier names, from the repository root, without extension (`broker/stomp/frame`). */
function resolved(file: string, specifier: string): string {
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
  return target.endsWith('.ts') ? target.slice(0, -3) : target;
}

/** The breaches of `rule` in its files: `file → specifier (why)`. */
function breaches(rule: Rule): string[] {
  return breachesIn(rule, sourceFiles(rule.from).map((file) => [file, importsOf(file)] as const));
}

function breachesIn(rule: Rule, files: readonly (readonly [string, readonly string[]])[]): string[] {
  const own = rule.from.endsWith('.ts') ? path.posix.dirname(rule.from) : rule.from;
  const out: string[] = [];
  for (const [file, specifiers] of files) {
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) {
        const target = resolved(file, specifier);
        const allowed = (!rule.from.endsWith('.ts') && within(target, own)) || rule.tree.some((t) => within(target, t.replace(/\.ts$/, '')));
        if (!allowed) out.push(`${file} → ${specifier}`);
      } else if (specifier.startsWith('node:')) {
        if (rule.node !== '*' && !rule.node.includes(specifier)) out.push(`${file} → ${specifier} (Node built-in)`);
      } else {
        const pkg = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
        if (rule.packages !== '*' && !rule.packages.includes(pkg)) out.push(`${file} → ${specifier} (package)`);
      }
    }
  }
  return out;
}

describe('import boundaries (CONTRIBUTING.md, Layout)', () => {
  it.each(RULES.map((r) => [r.from, r] as const))('%s: its imports keep the rule', (_, rule) => {
    expect(sourceFiles(rule.from).length).toBeGreaterThan(0);
    expect({ claim: rule.claim, breaches: breaches(rule) }).toEqual({ claim: rule.claim, breaches: [] });
  });

  it('sees every form of import: static, export-from, dynamic and require', () => {
    const info = ts.preProcessFile("import a from './a';\nexport { b } from './b';\nconst c = import('./c');\nconst d = require('./d');\n", true, true);
    expect(info.importedFiles.map((f) => f.fileName)).toEqual(['./a', './b', './c', './d']);
  });

  it('reports a breach of each kind: another folder, a Node built-in, a package', () => {
    const rule = (from: string): Rule => RULES.find((r) => r.from === from)!;
    const decoder = 'broker/stomp/decoder.ts';
    expect(breachesIn(rule('broker/stomp'), [[decoder, ['./frame', '../errors', 'node:buffer', '../transport/connection', 'node:fs', 'ws']]])).toEqual([
      `${decoder} → ../transport/connection`,
      `${decoder} → node:fs (Node built-in)`,
      `${decoder} → ws (package)`,
    ]);
    expect(breachesIn(rule('broker/messaging'), [['broker/messaging/simple-broker.ts', ['../transport/connection', '../session/session']]])).toHaveLength(2);
    expect(breachesIn(rule('broker'), [['broker/server.ts', ['../client/client', '../examples/reference/app', './transport/http-router']]])).toHaveLength(2);
  });
});
