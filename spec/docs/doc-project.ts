/**
 * A project set up as README.md "Add it to your project" tells a user to: a package.json
 * with `"type": "module"`, stompbox installed, and for TypeScript the README's tsconfig.json.
 * stompbox is this working tree built once into a package folder of its own (the same build
 * as `npm run build`, so it never touches the repository's dist/, which other specs read) and
 * linked in as `node_modules/stompbox`; packages a user installs themselves (express, ioredis,
 * typescript, @types/node, ...) are linked from this repository's node_modules. Each docs
 * page gets a folder of its own, holding its blocks as files: named ones under their name,
 * the other programs as `L<line>.<ext>`.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { linkFromRepo, ROOT, run } from '../package/support';
import type { CodeBlock } from './markdown';

/** Packages the docs programs import that a user installs next to stompbox. */
export const USER_PACKAGES = ['express', 'ioredis', 'zod', 'pino', 'prom-client', 'reflect-metadata', 'typescript', '@types/node'];

/** User packages that ship no types (and have no @types package here): declared as any, as a JavaScript project sees them. */
export const UNTYPED_PACKAGES = ['express'];

/** A service some programs need, found by the names they use. */
export type Service = 'redis' | 'rabbitmq';

/** What a program needs besides Node, by the classes it uses. */
export function servicesOf(code: string): Service[] {
  const needs: Service[] = [];
  if (/\bRedisBroker\b/.test(code)) needs.push('redis');
  if (/\bStompBrokerRelay\b/.test(code)) needs.push('rabbitmq');
  return needs;
}

/** A block written into the project. */
export interface ProjectFile {
  readonly block: CodeBlock;
  /** Path inside the project. */
  readonly file: string;
  /** The page's folder inside the project (programs run there). */
  readonly dir: string;
  /** For programs: what `node` runs, inside the project (the compiled file for TypeScript). */
  readonly entry?: string;
  /** For programs: the output block that follows, if any. */
  readonly output?: CodeBlock;
}

/** The page folder of a Markdown file: `docs/cluster.md` → `docs-cluster`. */
export function pageDir(doc: string): string {
  return doc.replace(/\.md$/, '').replace(/[\\/]/g, '-');
}

/** The file extension of an unnamed program: TypeScript as ESM; JavaScript as CommonJS when it uses require() and never import. */
export function programExtension(block: CodeBlock): string {
  if (block.lang === 'ts' || block.lang === 'typescript') return '.mts';
  return /\brequire\(/.test(block.code) && !/^\s*import\b/m.test(block.code) ? '.cjs' : '.mjs';
}

/** Where tsc writes a TypeScript program (`outDir`, file extension by module kind). */
function compiled(file: string, outDir: string): string {
  const ext = path.extname(file);
  const js = ext === '.mts' ? '.mjs' : ext === '.cts' ? '.cjs' : '.js';
  return path.join(outDir, file.slice(0, -ext.length) + js);
}

/** The tsconfig.json block of the README ("Add it to your project"). */
export function readmeTsconfig(blocks: readonly CodeBlock[]): { compilerOptions: Record<string, unknown> } {
  const block = blocks.find((b) => b.doc === 'README.md' && b.name === 'tsconfig.json');
  if (block === undefined) throw new Error('README.md has no <!-- file: tsconfig.json --> block');
  return JSON.parse(block.code) as { compilerOptions: Record<string, unknown> };
}

/**
 * Builds this working tree into `dir` as an installed package has it (package.json, dist/
 * with the browser bundles and the reference app's pages), its dependencies linked from the
 * repository's node_modules.
 */
export async function buildPackage(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  await run(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(dir, 'dist')], { cwd: ROOT, timeout: 120_000 });
  await run(process.execPath, [path.join(ROOT, 'scripts/bundle-client.js'), path.join(dir, 'dist/client/browser')], { cwd: ROOT, timeout: 60_000 });
  cpSync(path.join(ROOT, 'examples/reference/public'), path.join(dir, 'dist/examples/reference/public'), { recursive: true });
  for (const f of ['package.json', 'README.md', 'LICENSE']) cpSync(path.join(ROOT, f), path.join(dir, f));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
}

/**
 * Writes the project: package.json, the README's tsconfig.json (plus allowJs and checkJs,
 * so the JavaScript programs are type-checked too, and rootDir, so outputs keep their folders), stompbox and the user packages, and every
 * program and named file of `blocks`. Returns what it wrote.
 * @throws Error when two blocks of a page name the same file
 */
export function writeProject(root: string, pkg: string, blocks: readonly CodeBlock[]): ProjectFile[] {
  mkdirSync(path.join(root, 'node_modules'), { recursive: true });
  writeFileSync(path.join(root, 'package.json'), `${JSON.stringify({ name: 'docs-programs', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
  symlinkSync(pkg, path.join(root, 'node_modules/stompbox'), 'dir');
  for (const p of USER_PACKAGES) linkFromRepo(root, p);
  const tsconfig = readmeTsconfig(blocks);
  const outDir = String(tsconfig.compilerOptions.outDir ?? '.');
  writeFileSync(
    path.join(root, 'tsconfig.json'),
    JSON.stringify({ ...tsconfig, compilerOptions: { ...tsconfig.compilerOptions, rootDir: '.', allowJs: true, checkJs: true }, include: ['**/*'], exclude: ['node_modules', outDir] }, null, 2),
  );
  writeFileSync(path.join(root, 'untyped.d.ts'), UNTYPED_PACKAGES.map((p) => `declare module '${p}';\n`).join(''));
  const files: ProjectFile[] = [];
  const taken = new Set<string>();
  blocks.forEach((block, i) => {
    if (block.kind !== 'program' && block.kind !== 'file') return;
    const dir = pageDir(block.doc);
    const file = path.join(dir, block.name ?? `L${block.line}${programExtension(block)}`);
    if (taken.has(file)) throw new Error(`${block.doc}:${block.line}: a second block names ${block.name}`);
    taken.add(file);
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), block.code);
    if (block.kind === 'file') {
      files.push({ block, file, dir });
      return;
    }
    const next = blocks[i + 1];
    const entry = /\.(m|c)?ts$/.test(file) ? compiled(file, outDir) : file;
    files.push({ block, file, dir, entry, output: next?.doc === block.doc && next.kind === 'output' ? next : undefined });
  });
  return files;
}

/** One tsc diagnostic, placed in the Markdown file it came from. */
export interface Diagnostic {
  readonly where: string;
  readonly message: string;
}

/**
 * Type-checks and compiles the project with its tsconfig.json. Diagnostics in a program are
 * reported at their line in the Markdown file.
 */
export async function compileProject(root: string, files: readonly ProjectFile[]): Promise<{ diagnostics: Diagnostic[]; ms: number }> {
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const result = await run(process.execPath, [tsc, '-p', root, '--pretty', 'false'], { cwd: root, timeout: 120_000, allowFailure: true });
  const byFile = new Map(files.map((f) => [f.file, f]));
  const diagnostics = `${result.stdout}${result.stderr}`
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^\s/.test(l))
    .map((line) => {
      const m = /^(.+?)\((\d+),(\d+)\): (.*)$/.exec(line);
      const f = m === null ? undefined : byFile.get(path.normalize(m[1]));
      if (m === null || f === undefined) return { where: 'tsc', message: line };
      return { where: `${f.block.doc}:${f.block.line + Number(m[2])}:${m[3]}`, message: m[4] };
    });
  if (result.code !== 0 && diagnostics.length === 0) diagnostics.push({ where: 'tsc', message: `exited ${result.code}` });
  return { diagnostics, ms: result.ms };
}

/** True when `file` exists inside the project. */
export function existsIn(root: string, file: string): boolean {
  return existsSync(path.join(root, file));
}

/** The text of a repository file. */
export function repoFile(file: string): string {
  return readFileSync(path.join(ROOT, file), 'utf8');
}
