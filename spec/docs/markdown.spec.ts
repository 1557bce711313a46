import { anchors, codeBlocks, links, MarkerError, slug } from './markdown';

const FENCE = '```';

describe('codeBlocks', () => {
  it('takes an unmarked ts or js block for a program and any other language for a fragment', () => {
    const md = [`${FENCE}ts`, 'const a = 1;', FENCE, '', `${FENCE}js`, 'run();', FENCE, `${FENCE}sh`, 'npm test', FENCE, FENCE, 'plain', FENCE].join('\n');
    expect(codeBlocks(md, 'x.md').map((b) => [b.line, b.lang, b.kind])).toEqual([
      [1, 'ts', 'program'],
      [5, 'js', 'program'],
      [8, 'sh', 'fragment'],
      [11, '', 'fragment'],
    ]);
  });

  it('reads the marker on the line right before the fence', () => {
    const md = ['<!-- fragment: uses names from above -->', `${FENCE}ts`, 'server.close();', FENCE, '<!-- file: public/index.html -->', `${FENCE}html`, '<p></p>', FENCE, '<!-- file: server.mjs -->', `${FENCE}js`, 'x();', FENCE, '<!-- output -->', `${FENCE}text`, 'hi', FENCE].join('\n');
    expect(codeBlocks(md, 'x.md').map((b) => [b.kind, b.name])).toEqual([
      ['fragment', undefined],
      ['file', 'public/index.html'],
      ['program', 'server.mjs'],
      ['output', undefined],
    ]);
  });

  it('keeps the code as written, indentation of a listed fence removed', () => {
    const md = ['- item', '', `  ${FENCE}js`, '  if (a) {', '    b();', '  }', `  ${FENCE}`].join('\n');
    expect(codeBlocks(md, 'x.md')[0].code).toBe('if (a) {\n  b();\n}\n');
  });

  it('does not end a block at a shorter fence inside it', () => {
    const md = ['````md', FENCE, 'inner', FENCE, '````'].join('\n');
    expect(codeBlocks(md, 'x.md').map((b) => b.code)).toEqual([`${FENCE}\ninner\n${FENCE}\n`]);
  });

  it('refuses an unknown marker, so a typo never turns a fragment into a program', () => {
    expect(() => codeBlocks(['<!-- fragmnet -->', `${FENCE}ts`, 'x', FENCE].join('\n'), 'x.md')).toThrow(MarkerError);
    expect(() => codeBlocks(['<!-- fragmnet -->', `${FENCE}ts`, 'x', FENCE].join('\n'), 'x.md')).toThrow('x.md:2: unknown marker <!-- fragmnet -->');
  });

  it('refuses a file marker that leaves the page folder, and a fence left open', () => {
    expect(() => codeBlocks(['<!-- file: ../x.js -->', `${FENCE}js`, 'x', FENCE].join('\n'), 'x.md')).toThrow(MarkerError);
    expect(() => codeBlocks([`${FENCE}js`, 'x'].join('\n'), 'x.md')).toThrow('x.md:1: code block is never closed');
  });
});

describe('links', () => {
  it('finds inline links and hrefs in prose, not in code', () => {
    const md = ['See [a](docs/a.md#x) and [b](https://example.com "t").', '`[c](no.md)`', FENCE, '[d](no.md)', FENCE, '<a href="docs/b.md">b</a>'].join('\n');
    expect(links(md)).toEqual([
      { line: 1, target: 'docs/a.md#x' },
      { line: 1, target: 'https://example.com' },
      { line: 6, target: 'docs/b.md' },
    ]);
  });
});

describe('anchors', () => {
  it('makes GitHub anchors: lower case, punctuation and backticks dropped, spaces to hyphens', () => {
    expect(slug('Command line: `stompbox`')).toBe('command-line-stompbox');
    expect(slug('Cluster: Redis backplane and broker relay')).toBe('cluster-redis-backplane-and-broker-relay');
    expect(slug('Relay to RabbitMQ (or another STOMP broker)')).toBe('relay-to-rabbitmq-or-another-stomp-broker');
    expect(slug('Limits, and what passing each one gets')).toBe('limits-and-what-passing-each-one-gets');
  });

  it('numbers repeated headings and skips lines inside code blocks', () => {
    const md = ['# Notes', '## Notes', FENCE + 'sh', '# a comment', FENCE, '### Per server'].join('\n');
    expect([...anchors(md)]).toEqual(['notes', 'notes-1', 'per-server']);
  });
});
