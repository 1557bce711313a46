/**
 * The reference tables of the docs say what the code does: every server option has a row in
 * docs/options.md and every client option one in docs/client.md, each with the default the
 * code applies (where the default is a literal); every error code of the catalogs has a row in
 * docs/errors.md and docs/client.md, and no row names a code that does not exist.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULTS } from '../../broker';
import { CLIENT_DEFAULTS } from '../../client';
import { ROOT } from '../package/support';

const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

/** The rows of every Markdown table in `markdown`, as cells without their outer pipes. */
function rows(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|[-:| ]+\|$/.test(l))
    .map((l) =>
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
}

/** The text of the first code span of a cell. */
function firstCode(cell: string): string | undefined {
  return /`([^`]+)`/.exec(cell)?.[1];
}

/** A default as the docs write it (`['/stomp']`, `10000`, `{ a: 1 }`), or undefined when it is not a plain literal. */
function literal(text: string): unknown {
  if (text.includes('<') || text.includes('(')) return undefined;
  try {
    return JSON.parse(text.replace(/'/g, '"').replace(/([{,]\s*)([A-Za-z_]\w*)\s*:/g, '$1"$2":'));
  } catch {
    return undefined;
  }
}

/** `{ sockjs: { a: 1 } }` → `{ 'sockjs.a': 1 }`. */
function flatten(value: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && prefix === '' && k === 'sockjs') Object.assign(out, flatten(v as Record<string, unknown>, `${k}.`));
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

/** The option rows of a table whose header starts with `| option | default |`: name → default cell. */
function optionRows(markdown: string): Map<string, string> {
  const table = new Map<string, string>();
  for (const [name, def] of rows(markdown)) {
    const option = firstCode(name ?? '');
    if (option !== undefined && def !== undefined) table.set(option, def);
  }
  return table;
}

/** Error codes named in the first column of the tables of `markdown`. */
function codeRows(markdown: string, prefix: string): string[] {
  return rows(markdown)
    .map(([first]) => firstCode(first ?? ''))
    .filter((c): c is string => c !== undefined && c.startsWith(prefix));
}

/** The string literals of a union type in a source file. */
function union(source: string, type: string): string[] {
  const body = new RegExp(`export type ${type} =([^;]*);`).exec(source)?.[1] ?? '';
  return [...body.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]);
}

describe('docs/options.md', () => {
  const table = optionRows(read('docs/options.md'));
  const defaults = flatten(DEFAULTS as unknown as Record<string, unknown>);

  it('has a row for every option of DEFAULTS and for the pluggable parts', () => {
    const names = [...Object.keys(defaults), 'staticDir', 'tcp', 'tcp.port', 'tcp.host', 'tcp.tls', 'logger', 'broker', 'relay', 'authenticate', 'authorization', 'interceptors'];
    expect(names.filter((n) => !table.has(n))).toEqual([]);
  });

  it('gives each literal default the value DEFAULTS holds', () => {
    const documented = Object.entries(defaults)
      .map(([name, value]) => ({ name, documented: literal(firstCode(table.get(name) ?? '') ?? ''), value }))
      .filter((r) => r.documented !== undefined);
    expect(documented.filter((r) => JSON.stringify(r.documented) !== JSON.stringify(r.value))).toEqual([]);
    // Only the computed defaults (serverName, sockjs.clientUrl) are not literals.
    expect(documented.length).toBeGreaterThanOrEqual(Object.keys(defaults).length - 2);
  });
});

describe('docs/client.md', () => {
  const text = read('docs/client.md');

  it('has a row for every client option, with the default CLIENT_DEFAULTS holds', () => {
    const table = optionRows(text);
    const names = [...Object.keys(CLIENT_DEFAULTS), 'url', 'sockjsTransports', 'connectHeaders', 'WebSocket'];
    expect(names.filter((n) => !table.has(n))).toEqual([]);
    const documented = Object.entries(CLIENT_DEFAULTS).map(([name, value]) => ({ name, documented: literal(firstCode(table.get(name) ?? '') ?? ''), value }));
    expect(documented.filter((r) => JSON.stringify(r.documented) !== JSON.stringify(r.value))).toEqual([]);
  });

  it('lists every client error code, and only those', () => {
    expect(codeRows(text, 'CLIENT_ERR_').sort()).toEqual(union(read('client/errors.ts'), 'ClientErrorCode').sort());
  });
});

describe('docs/errors.md', () => {
  it('lists every code of broker/errors.ts once, and only those', () => {
    const documented = codeRows(read('docs/errors.md'), 'STOMP_ERR_');
    expect(documented.sort()).toEqual(union(read('broker/errors.ts'), 'ErrorCode').sort());
  });
});
