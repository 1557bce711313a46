/**
 * Every relative link of README.md, CONTRIBUTING.md, docs/*.md and spec/security/README.md
 * resolves: the file (or folder) exists in the repository, and an `#anchor` names a heading of
 * the file it points to, as GitHub makes anchors. The README links every docs page.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../package/support';
import { anchors, links } from './markdown';

const DOCS = ['README.md', 'CONTRIBUTING.md', 'spec/security/README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const text = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

/** Where a link leads from `doc`, or why it leads nowhere; undefined for links off the repository. */
function broken(doc: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return undefined; // https:, mailto:, ...
  const [file, anchor] = target.split('#', 2);
  const resolved = file === '' ? doc : path.posix.normalize(path.posix.join(path.posix.dirname(doc), decodeURIComponent(file)));
  if (resolved.startsWith('..') || !existsSync(path.join(ROOT, resolved))) return `${target}: no file ${resolved}`;
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(path.join(ROOT, resolved)).isDirectory() || !resolved.endsWith('.md')) return `${target}: an anchor into ${resolved}, which has no headings`;
  return anchors(text(resolved)).has(anchor) ? undefined : `${target}: ${resolved} has no heading #${anchor}`;
}

describe('docs links', () => {
  it.each(DOCS)('resolves every relative link and anchor of %s', (doc) => {
    const bad = links(text(doc))
      .map((l) => ({ line: l.line, why: broken(doc, l.target) }))
      .filter((l) => l.why !== undefined)
      .map((l) => `${doc}:${l.line}: ${l.why}`);
    expect(bad).toEqual([]);
  });

  it('links every docs page and CONTRIBUTING.md from the README', () => {
    const linked = new Set(links(text('README.md')).map((l) => l.target.split('#', 1)[0]));
    const pages = [...DOCS.filter((d) => d.startsWith('docs/')), 'CONTRIBUTING.md'];
    expect(pages.filter((p) => !linked.has(p))).toEqual([]);
  });
});
