import { parseSelector } from '../../broker/selectors/selector-parser';
import { printSelector } from '../../broker/selectors/selector-printer';

const reprint = (text: string): string => printSelector(parseSelector(text));

describe('printSelector', () => {
  it.each([
    ["x-priority>5 and (a='b' or c is null)", "x-priority > 5 AND (a = 'b' OR c IS NULL)"],
    ['a = 1 or b = 2 and c = 3', 'a = 1 OR b = 2 AND c = 3'],
    ['(a = 1 or b = 2) and c = 3', '(a = 1 OR b = 2) AND c = 3'],
    ['a = 1 and (b = 2 and c = 3)', 'a = 1 AND (b = 2 AND c = 3)'],
    ['not (a = 1 and b = 2)', 'NOT (a = 1 AND b = 2)'],
    ['not not a is not null', 'NOT NOT a IS NOT NULL'],
    ["a not in ('x', -2.5)", "a NOT IN ('x', -2.5)"],
    ["a like 'x\\%' escape '\\'", "a LIKE 'x\\%' ESCAPE '\\'"],
    ['a not between -0 and 1E21', 'a NOT BETWEEN -0 AND 1e+21'],
    ["\"my header\" = 'it''s'", "\"my header\" = 'it''s'"],
    ['"and" = TRUE', '"and" = TRUE'],
    ['"a""b" = 1', '"a""b" = 1'],
    ['"plain" = 1', 'plain = 1'],
    ['', 'TRUE'],
  ])('prints %j as %j', (text, printed) => {
    expect(reprint(text)).toBe(printed);
    expect(parseSelector(printed)).toEqual(parseSelector(text));
  });
});
