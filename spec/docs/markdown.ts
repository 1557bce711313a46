/**
 * What the docs specs read from Markdown: fenced code blocks with the marker that says what
 * each one is, relative links, and the anchors GitHub makes from headings.
 *
 * A marker is an HTML comment on the line right before a block's opening fence (GitHub shows
 * nothing of it):
 *
 *   <!-- fragment -->            part of a program, not one; any reason may follow a colon
 *   <!-- file: public/a.html --> the page's file of that name (a program when it is js or ts)
 *   <!-- output -->              what the program before it prints (its lines, in order)
 *
 * Unmarked `ts` and `js` blocks are complete programs; blocks in any other language (sh,
 * text, json, html, none) are fragments unless a `file` marker names them.
 */

/** What a block is, by its marker and language. */
export type BlockKind = 'program' | 'file' | 'fragment' | 'output';

/** One fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The Markdown file, relative to the repository. */
  readonly doc: string;
  /** Line of the opening fence, 1-based. */
  readonly line: number;
  /** The info string's first word (`ts`, `js`, `sh`, ...), `''` when there is none. */
  readonly lang: string;
  readonly code: string;
  readonly kind: BlockKind;
  /** The file name a `file` marker gives. */
  readonly name?: string;
}

/** A marker comment that is none of the known ones: a typo must not turn a block into a program. */
export class MarkerError extends Error {}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;
const MARKER = /^<!--\s*(.*?)\s*-->\s*$/;
const PROGRAM_LANGS = new Set(['ts', 'typescript', 'js', 'javascript']);

/** True for the languages whose unmarked blocks are complete programs. */
export function isProgramLang(lang: string): boolean {
  return PROGRAM_LANGS.has(lang);
}

function kindOf(marker: string | undefined, lang: string, where: string): { kind: BlockKind; name?: string } {
  if (marker === undefined) return { kind: isProgramLang(lang) ? 'program' : 'fragment' };
  if (marker === 'fragment' || marker.startsWith('fragment:')) return { kind: 'fragment' };
  if (marker === 'output') return { kind: 'output' };
  const file = /^file:\s*(\S+)$/.exec(marker);
  if (file !== null) {
    if (file[1].split('/').some((part) => part === '..' || part === '')) throw new MarkerError(`${where}: file marker "${file[1]}" must be a relative path inside the page's folder`);
    return { kind: isProgramLang(lang) ? 'program' : 'file', name: file[1] };
  }
  throw new MarkerError(`${where}: unknown marker <!-- ${marker} --> (use fragment, file: <name> or output)`);
}

/**
 * The fenced code blocks of `markdown`, in order, each with its kind.
 * @throws MarkerError for a marker that is none of the known ones, or a fence left open
 */
export function codeBlocks(markdown: string, doc: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (open === null) continue;
    const [, indent, fence, lang] = open;
    const closing = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !closing.test(lines[end])) end++;
    if (end === lines.length) throw new MarkerError(`${doc}:${i + 1}: code block is never closed`);
    const marker = i > 0 ? MARKER.exec(lines[i - 1].trim())?.[1] : undefined;
    const code = lines
      .slice(i + 1, end)
      .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
      .join('\n');
    blocks.push({ doc, line: i + 1, lang: lang.toLowerCase(), code: `${code}\n`, ...kindOf(marker, lang.toLowerCase(), `${doc}:${i + 1}`) });
    i = end;
  }
  return blocks;
}

/** Markdown with its fenced blocks and inline code spans blanked, so links and headings are read from prose only. */
function prose(markdown: string): string[] {
  const lines = markdown.split('\n');
  let fence: RegExp | undefined;
  return lines.map((line) => {
    if (fence !== undefined) {
      if (fence.test(line)) fence = undefined;
      return '';
    }
    const open = FENCE.exec(line);
    if (open !== null) {
      fence = new RegExp(`^\\s*${open[2][0] === '`' ? '`' : '~'}{${open[2].length},}\\s*$`);
      return '';
    }
    return line.replace(/`[^`]*`/g, (span) => ' '.repeat(span.length));
  });
}

/** One link of a Markdown file. */
export interface Link {
  readonly line: number;
  readonly target: string;
}

/** The links of `markdown` (inline `[text](target)` and `href="..."`), outside code. */
export function links(markdown: string): Link[] {
  const found: Link[] = [];
  prose(markdown).forEach((line, i) => {
    for (const m of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) found.push({ line: i + 1, target: m[1] });
    for (const m of line.matchAll(/href="([^"]+)"/g)) found.push({ line: i + 1, target: m[1] });
  });
  return found;
}

/** GitHub's anchor for a heading's text: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of every heading of `markdown`; repeated headings get `-1`, `-2`, ... as on GitHub. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  const lines = markdown.split('\n');
  // Headings are read from the lines outside fences, with their inline code kept (it becomes text).
  const outside = prose(markdown);
  lines.forEach((line, i) => {
    if (outside[i] === '' && line !== '') return;
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m === null) return;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  });
  return result;
}
