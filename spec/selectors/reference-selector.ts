/**
 * A small, obviously correct selector evaluator for the property specs: it reads the README's
 * "Selectors" rules off the tree one by one, with JavaScript's true / false / null as TRUE /
 * FALSE / UNKNOWN, a regex for numbers and a dynamic-programming LIKE. Slow and simple on
 * purpose; it shares no code with broker/selectors.
 */
import type { Operand, SelectorExpression } from '../../broker/selectors/selector-ast';
import type { SelectorMessage } from '../../broker/selectors/selector-evaluator';

export type Tri = boolean | null;

const and3 = (a: Tri, b: Tri): Tri => (a === false || b === false ? false : a === null || b === null ? null : true);
const or3 = (a: Tri, b: Tri): Tri => (a === true || b === true ? true : a === null || b === null ? null : false);
const not3 = (a: Tri): Tri => (a === null ? null : !a);

/** The number a header value spells: sign, digits, fraction, exponent, finite; else undefined. */
export function referenceNumber(text: string): number | undefined {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

export function lookup(m: SelectorMessage, name: string): string | undefined {
  if (name === 'destination') return m.destination;
  if (name === 'content-type') return m.contentType;
  if (name === 'message-id') return m.messageId;
  return m.headers.find(([k]) => k === name)?.[1];
}

type Value = { type: 'text' | 'string'; text: string } | { type: 'number'; n: number } | { type: 'boolean'; b: boolean } | null;

function valueOf(op: Operand, m: SelectorMessage): Value {
  switch (op.kind) {
    case 'header': {
      const v = lookup(m, op.name);
      return v === undefined ? null : { type: 'text', text: v };
    }
    case 'string':
      return { type: 'string', text: op.value };
    case 'number':
      return { type: 'number', n: op.value };
    case 'boolean':
      return { type: 'boolean', b: op.value };
  }
}

function asNumber(v: NonNullable<Value>): number | undefined {
  if (v.type === 'number') return v.n;
  if (v.type === 'text') return referenceNumber(v.text);
  return undefined;
}

function asBoolean(v: NonNullable<Value>): boolean | undefined {
  if (v.type === 'boolean') return v.b;
  if (v.type === 'text') return v.text.toLowerCase() === 'true' ? true : v.text.toLowerCase() === 'false' ? false : undefined;
  return undefined;
}

function equal(a: NonNullable<Value>, b: NonNullable<Value>): boolean {
  if (a.type === 'text' && b.type === 'text') {
    const x = referenceNumber(a.text);
    const y = referenceNumber(b.text);
    return x !== undefined && y !== undefined ? x === y : a.text === b.text;
  }
  if (a.type === 'number' || b.type === 'number') {
    if ((a.type === 'number' || a.type === 'text') && (b.type === 'number' || b.type === 'text')) {
      const x = asNumber(a);
      const y = asNumber(b);
      return x !== undefined && y !== undefined && x === y;
    }
    return false;
  }
  if (a.type === 'boolean' || b.type === 'boolean') {
    if (a.type === 'string' || b.type === 'string') return false;
    const x = asBoolean(a);
    const y = asBoolean(b);
    return x !== undefined && y !== undefined && x === y;
  }
  return (a as { text: string }).text === (b as { text: string }).text; // text or string against string
}

function compare(operator: string, l: Operand, r: Operand, m: SelectorMessage): Tri {
  const a = valueOf(l, m);
  const b = valueOf(r, m);
  if (a === null || b === null) return null;
  if (operator === '=') return equal(a, b);
  if (operator === '<>') return !equal(a, b);
  const x = asNumber(a);
  const y = asNumber(b);
  if (x === undefined || y === undefined) return false;
  return operator === '<' ? x < y : operator === '>' ? x > y : operator === '<=' ? x <= y : x >= y;
}

/** LIKE by dynamic programming over code points: fits[i][j] = the first i pattern items match the first j characters. */
export function referenceLike(pattern: string, value: string, escape?: string): boolean {
  const items: string[] = [];
  const p = [...pattern];
  for (let i = 0; i < p.length; i++) {
    if (p[i] === escape) items.push(`=${p[++i]}`);
    else if (p[i] === '%') items.push('%');
    else if (p[i] === '_') items.push('_');
    else items.push(`=${p[i]}`);
  }
  const v = [...value];
  let row = v.map(() => false);
  row.unshift(true);
  for (const item of items) {
    const next = [item === '%' && row[0]];
    for (let j = 1; j <= v.length; j++) {
      if (item === '%') next[j] = row[j] || next[j - 1];
      else next[j] = row[j - 1] && (item === '_' || item.slice(1) === v[j - 1]);
    }
    row = next;
  }
  return row[v.length];
}

export function referenceEvaluate(e: SelectorExpression, m: SelectorMessage): Tri {
  switch (e.kind) {
    case 'and':
      return e.items.map((x) => referenceEvaluate(x, m)).reduce(and3);
    case 'or':
      return e.items.map((x) => referenceEvaluate(x, m)).reduce(or3);
    case 'not':
      return not3(referenceEvaluate(e.operand, m));
    case 'comparison':
      return compare(e.operator, e.left, e.right, m);
    case 'between':
      return e.negated
        ? or3(compare('<', e.value, e.low, m), compare('>', e.value, e.high, m))
        : and3(compare('>=', e.value, e.low, m), compare('<=', e.value, e.high, m));
    case 'in': {
      const v = lookup(m, e.header);
      if (v === undefined) return null;
      const hit = e.values.some((x) => (x.kind === 'string' ? x.value === v : referenceNumber(v) === x.value));
      return e.negated ? !hit : hit;
    }
    case 'like': {
      const v = lookup(m, e.header);
      if (v === undefined) return null;
      const hit = referenceLike(e.pattern, v, e.escape);
      return e.negated ? !hit : hit;
    }
    case 'null-test':
      return (lookup(m, e.header) === undefined) !== e.negated;
    case 'constant':
      return e.value;
  }
}
