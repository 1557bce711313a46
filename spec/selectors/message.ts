import type { SelectorMessage } from '../../broker/selectors/selector-evaluator';

/** A message for selector specs: `headers` as the client sent them, broker fields fixed unless given. */
export function message(headers: Record<string, string> = {}, fields: Partial<SelectorMessage> = {}): SelectorMessage {
  return { destination: '/topic/t', contentType: undefined, messageId: 'm-1', headers: Object.entries(headers), ...fields };
}
