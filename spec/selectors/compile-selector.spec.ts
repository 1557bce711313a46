import { Buffer } from 'node:buffer';
import { BrokerMessage } from '../../broker/messaging/broker-message';
import { CompiledSelector, compileSelector, headerNamesOf } from '../../broker/selectors/compile-selector';
import { parseSelector } from '../../broker/selectors/selector-parser';
import { message } from './message';

describe('compileSelector', () => {
  it('matches a BrokerMessage as the broker builds it from a SEND', () => {
    const m = new BrokerMessage('/queue/orders', Buffer.from('{}'), 'application/json', [['x-priority', '7'], ['region', 'eu']]);
    const selector = compileSelector("x-priority > 5 AND region IN ('eu', 'us') AND content-type LIKE 'application/%' AND destination = '/queue/orders'");
    expect(selector.matches(m)).toBe(true);
    expect(compileSelector('x-priority > 7').matches(m)).toBe(false);
    expect(compileSelector(`message-id = '${m.messageId}'`).matches(m)).toBe(true);
  });

  it('matches only when the selector is TRUE, not when it is UNKNOWN', () => {
    const selector = compileSelector('x-priority > 5');
    expect(selector.evaluate(message())).toBe('UNKNOWN');
    expect(selector.matches(message())).toBe(false);
    expect(compileSelector('NOT x-priority > 5').matches(message())).toBe(false);
    expect(compileSelector('x-priority IS NULL OR x-priority > 5').matches(message())).toBe(true);
  });

  it('matches every message with an empty selector (JMS: no selector)', () => {
    const selector = compileSelector('');
    expect(selector.matches(message())).toBe(true);
    expect(selector.headerNames).toEqual([]);
  });

  it('lists the header names it reads, once each, in order of first use', () => {
    const selector = compileSelector("b = 1 AND (a LIKE 'x%' OR b IN ('y')) AND c BETWEEN a AND d AND NOT e IS NULL AND TRUE");
    expect(selector.headerNames).toEqual(['b', 'a', 'c', 'd', 'e']);
    expect(Object.isFrozen(selector.headerNames)).toBe(true);
    expect(headerNamesOf(parseSelector('1 = 1'))).toEqual([]);
  });

  it('keeps the text and the tree, frozen', () => {
    const selector = compileSelector('a = 1');
    expect(selector).toBeInstanceOf(CompiledSelector);
    expect(selector.text).toBe('a = 1');
    expect(selector.ast).toEqual({ kind: 'comparison', operator: '=', left: { kind: 'header', name: 'a' }, right: { kind: 'number', value: 1 } });
    expect(Object.isFrozen(selector)).toBe(true);
  });

  it('refuses an invalid selector with STOMP_ERR_INVALID_SELECTOR saying where', () => {
    expect(() => compileSelector('(a = 1')).toThrow(expect.objectContaining({ code: 'STOMP_ERR_INVALID_SELECTOR', message: 'Selector: expected AND, OR or ")" at offset 6, found end' }));
  });

  it('applies the default limits, or the ones it is given', () => {
    expect(() => compileSelector(`a = '${'x'.repeat(4091)}'`)).toThrow(/at most 4096 bytes/);
    expect(compileSelector(`a = '${'x'.repeat(4091)}'`, { maxLength: 8192 }).matches(message({ a: 'x'.repeat(4091) }))).toBe(true);
    expect(() => compileSelector('((a = 1))', { maxDepth: 1 })).toThrow(/at most 1 levels/);
    expect(() => compileSelector('a = 1', { maxDepth: 0 })).toThrow(expect.objectContaining({ code: 'STOMP_ERR_INVALID_OPTION' }));
  });

  it('compiles the README examples and gives the README error', () => {
    const m = message({ 'x-priority': '7', region: 'eu', status: 'sent', 'my header': 'v', amount: '12', code: 'TX1' }, { contentType: 'application/json' });
    expect(compileSelector("x-priority > 5 AND region IN ('eu', 'us') AND content-type LIKE 'application/%'").matches(m)).toBe(true);
    expect(compileSelector('NOT (status = \'draft\' OR "my header" IS NULL)').matches(m)).toBe(true);
    expect(compileSelector("amount BETWEEN -10.5 AND 1e3 AND code NOT LIKE 'T\\_%' ESCAPE '\\'").matches(m)).toBe(true);
    expect(compileSelector("code LIKE 'T\\_%' ESCAPE '\\'").matches(message({ code: 'T_1' }))).toBe(true);
    expect(() => compileSelector('(x = 1 AND y = 22')).toThrow('Selector: expected AND, OR or ")" at offset 17, found end');
  });
});
