import type { Operand, SelectorExpression } from './selector-ast';
import { isPlainIdentifier } from './selector-lexer';

/**
 * Writes a selector tree back as selector text that parses to an equal tree: names quoted
 * when they need it, strings with `''`, parentheses only where precedence (NOT, then AND,
 * then OR) or the tree's shape needs them. For logs and tests; the broker keeps the text it
 * was given.
 *
 * @example
 * printSelector(parseSelector("x-priority > 5 and (a = 'b' or c is null)"))
 * // "x-priority > 5 AND (a = 'b' OR c IS NULL)"
 */
export function printSelector(e: SelectorExpression): string {
  switch (e.kind) {
    case 'and':
      return e.items.map((item) => (item.kind === 'and' || item.kind === 'or' ? `(${printSelector(item)})` : printSelector(item))).join(' AND ');
    case 'or':
      return e.items.map((item) => (item.kind === 'or' ? `(${printSelector(item)})` : printSelector(item))).join(' OR ');
    case 'not':
      return e.operand.kind === 'and' || e.operand.kind === 'or' ? `NOT (${printSelector(e.operand)})` : `NOT ${printSelector(e.operand)}`;
    case 'comparison':
      return `${printOperand(e.left)} ${e.operator} ${printOperand(e.right)}`;
    case 'between':
      return `${printOperand(e.value)} ${e.negated ? 'NOT ' : ''}BETWEEN ${printOperand(e.low)} AND ${printOperand(e.high)}`;
    case 'in':
      return `${printName(e.header)} ${e.negated ? 'NOT ' : ''}IN (${e.values.map(printOperand).join(', ')})`;
    case 'like': {
      const escape = e.escape === undefined ? '' : ` ESCAPE ${printString(e.escape)}`;
      return `${printName(e.header)} ${e.negated ? 'NOT ' : ''}LIKE ${printString(e.pattern)}${escape}`;
    }
    case 'null-test':
      return `${printName(e.header)} IS ${e.negated ? 'NOT ' : ''}NULL`;
    case 'constant':
      return e.value ? 'TRUE' : 'FALSE';
  }
}

function printOperand(op: Operand): string {
  switch (op.kind) {
    case 'header':
      return printName(op.name);
    case 'string':
      return printString(op.value);
    case 'number':
      return Object.is(op.value, -0) ? '-0' : String(op.value); // String(n) is valid number syntax: 5, -0.5, 1e+21
    case 'boolean':
      return op.value ? 'TRUE' : 'FALSE';
  }
}

function printName(name: string): string {
  return isPlainIdentifier(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

function printString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
