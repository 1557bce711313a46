/**
 * JMS message selectors for SUBSCRIBE `selector` headers (SPEC §6.2, README "Selectors"):
 * the public surface of this folder.
 */
export { CompiledSelector, compileSelector, headerNamesOf, type SelectorTruth } from './compile-selector';
export { LikePattern } from './like-pattern';
export type * from './selector-ast';
export type { SelectorMessage } from './selector-evaluator';
export { DEFAULT_SELECTOR_LIMITS, resolveSelectorLimits, type SelectorLimits } from './selector-limits';
export { parseSelector } from './selector-parser';
export { printSelector } from './selector-printer';
