import { isPlainIdentifier, SelectorLexer } from '../../broker/selectors/selector-lexer';
import type { Token } from '../../broker/selectors/tokens';

function tokens(text: string): Pick<Token, 'kind' | 'text' | 'offset'>[] {
  const lexer = new SelectorLexer(text);
  const out: Pick<Token, 'kind' | 'text' | 'offset'>[] = [];
  for (;;) {
    const t = lexer.next();
    out.push({ kind: t.kind, text: t.text, offset: t.offset });
    if (t.kind === 'end' || t.kind === 'invalid') return out;
  }
}

const kinds = (text: string): string[] => tokens(text).map((t) => `${t.kind}:${t.text}`);

function lexError(text: string): string {
  try {
    tokens(text);
  } catch (err) {
    expect(err).toMatchObject({ code: 'STOMP_ERR_INVALID_SELECTOR' });
    return (err as Error).message;
  }
  throw new Error(`no error for ${text}`);
}

describe('SelectorLexer', () => {
  it('reads keywords in any case as upper-case keywords', () => {
    expect(kinds('and Or NOT between In like Escape is null True false')).toEqual([
      'keyword:AND', 'keyword:OR', 'keyword:NOT', 'keyword:BETWEEN', 'keyword:IN', 'keyword:LIKE',
      'keyword:ESCAPE', 'keyword:IS', 'keyword:NULL', 'keyword:TRUE', 'keyword:FALSE', 'end:',
    ]);
  });

  it('reads header names with "-" and "." inside, keeping their case', () => {
    expect(kinds('content-type x-Priority app.region $x _y')).toEqual([
      'identifier:content-type', 'identifier:x-Priority', 'identifier:app.region', 'identifier:$x', 'identifier:_y', 'end:',
    ]);
  });

  it('reads header names in other scripts', () => {
    expect(kinds('prioridad_ñ 优先级 = 1')).toEqual(['identifier:prioridad_ñ', 'identifier:优先级', 'operator:=', 'number:1', 'end:']);
  });

  it('reads a double-quoted name as a header name, never a keyword, with "" for a quote', () => {
    expect(kinds('"my header" "AND" "a""b"')).toEqual(['identifier:my header', 'identifier:AND', 'identifier:a"b', 'end:']);
  });

  it("reads single-quoted strings with '' for a quote", () => {
    expect(kinds("'it''s' '' ''''")).toEqual(["string:it's", 'string:', "string:'", 'end:']);
  });

  it('reads integers, decimals and exponents, with the sign as its own token', () => {
    const lexer = new SelectorLexer('57 7. .5 95.7 7E3 -57.9e-2 +6.2');
    const values: (number | string)[] = [];
    for (let t = lexer.next(); t.kind !== 'end'; t = lexer.next()) values.push(t.kind === 'number' ? t.number : t.text);
    expect(values).toEqual([57, 7, 0.5, 95.7, 7000, '-', 0.579, '+', 6.2]);
  });

  it('reads every comparison operator, longest first', () => {
    expect(kinds('= <> < > <= >= a<>b a>=1')).toEqual([
      'operator:=', 'operator:<>', 'operator:<', 'operator:>', 'operator:<=', 'operator:>=',
      'identifier:a', 'operator:<>', 'identifier:b', 'identifier:a', 'operator:>=', 'number:1', 'end:',
    ]);
  });

  it('gives each token its offset, skipping spaces, tabs and line ends', () => {
    expect(tokens("a\t=\r\n 'b'").map((t) => t.offset)).toEqual([0, 2, 6, 9]);
  });

  it('turns a character no token starts with into an invalid token at its offset', () => {
    expect(tokens('a != 1').slice(1, 2)).toEqual([{ kind: 'invalid', text: '!', offset: 2 }]);
    expect(tokens('a = 😀')[2]).toEqual({ kind: 'invalid', text: '😀', offset: 4 });
  });

  it.each([
    ["a = 'abc", `Selector: expected "'" at offset 8, found end (the string at offset 4 is not closed)`],
    ["'it''s", `Selector: expected "'" at offset 6, found end (the string at offset 0 is not closed)`],
    ['"abc = 1', 'Selector: expected "\\"" at offset 8, found end (the quoted header name at offset 0 is not closed)'],
    ['"" = 1', 'Selector: expected a header name between the double quotes at offset 1, found "\\""'],
    ['a = 1e', 'Selector: expected a digit of the exponent at offset 6, found end'],
    ['a = 1e+x', 'Selector: expected a digit of the exponent at offset 7, found "x"'],
    ['a = 5x', 'Selector: expected an operator or a space after the number at offset 5, found "x"'],
    ['a = 1.2.3', 'Selector: expected an operator or a space after the number at offset 7, found "."'],
    ['a = 1e999', 'Selector: expected a number of at most 1.7976931348623157e308 at offset 4, found number "1e999"'],
  ])('refuses %j: %s', (text, message) => {
    expect(lexError(text)).toBe(message);
  });

  it('tells the names that need no quotes', () => {
    expect(['a', 'x-priority', 'a.b', '$', 'é'].every(isPlainIdentifier)).toBe(true);
    expect(['', 'and', 'Null', '1a', '-a', 'a b', 'a:b', '.a'].some(isPlainIdentifier)).toBe(false);
  });
});
