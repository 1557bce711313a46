import { StompError } from '../errors';
import { classMetadata, methodMetadata, type MethodMetadata } from './decorators';
import type { ExceptionHandlerMapping, HandlerRegistry, Mapping, ReplyOptions } from './handler-registry';

/**
 * Reads a decorated controller instance and adds its mappings to the registry (the same one
 * `onMessage()` feeds). Methods are found along the prototype chain, so inherited mappings
 * count; a subclass's override replaces its parent's method.
 *
 * @returns the mappings added
 * @throws StompError `STOMP_ERR_INVALID_OPTION` when the instance has no decorated method, or
 *   a mapping duplicates or is ambiguous with another (naming both)
 */
export function registerController(registry: HandlerRegistry, instance: object): Mapping[] {
  if (instance === null || typeof instance !== 'object') {
    throw new StompError('STOMP_ERR_INVALID_OPTION', `register() takes a controller instance; received ${instance === null ? 'null' : typeof instance}`);
  }
  const className = instance.constructor?.name || 'controller';
  const decorated = decoratedMethods(instance);
  const prefixes = collectPrefixes(instance);
  const advice = collectAdvice(instance);
  const exceptionHandlers: ExceptionHandlerMapping[] = [];
  for (const [name, method, meta] of decorated) {
    if (meta.exceptionTypes === undefined) continue;
    exceptionHandlers.push({ types: meta.exceptionTypes, handler: method.bind(instance), name: `${className}.${name}`, ...reply(meta) });
  }
  if (advice) for (const h of exceptionHandlers) registry.addExceptionHandler(h);
  const added: Mapping[] = [];
  for (const [name, method, meta] of decorated) {
    const options = { ...reply(meta), name: `${className}.${name}`, exceptionHandlers: advice ? undefined : exceptionHandlers };
    const handler = method.bind(instance) as (...args: any[]) => unknown;
    for (const p of combine(prefixes, meta.message)) added.push(registry.add('message', p, handler, { ...options, schema: meta.schema }));
    for (const p of combine(prefixes, meta.subscribe)) added.push(registry.add('subscribe', p, handler, options));
  }
  if (added.length === 0 && !advice) {
    throw new StompError('STOMP_ERR_INVALID_OPTION', `${className} has no @MessageMapping or @SubscribeMapping method (register() takes a decorated controller instance)`);
  }
  return added;
}

/**
 * True when `instance` is a controller `register()` takes: a decorated method somewhere along
 * its prototype chain, or a `@ControllerAdvice` class. Lets a framework integration (the
 * NestJS module) pick our controllers out of all of its providers.
 */
export function isMessageController(instance: unknown): boolean {
  if (instance === null || typeof instance !== 'object') return false;
  return decoratedMethods(instance).length > 0 || collectAdvice(instance);
}

/** `[name, function, metadata]` of every decorated method, nearest class first. */
function decoratedMethods(instance: object): [string, Function, MethodMetadata][] {
  const out: [string, Function, MethodMetadata][] = [];
  const seen = new Set<string | symbol>();
  for (let proto = Object.getPrototypeOf(instance); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Reflect.ownKeys(proto)) {
      if (key === 'constructor' || seen.has(key)) continue;
      seen.add(key);
      const value = Object.getOwnPropertyDescriptor(proto, key)?.value as unknown;
      if (typeof value !== 'function') continue;
      const meta = methodMetadata(value);
      if (meta !== undefined) out.push([String(key), value, meta]);
    }
  }
  return out;
}

/** The class-level `@MessageMapping` prefixes of the nearest decorated class (Spring: one type-level mapping). */
function collectPrefixes(instance: object): string[] {
  for (let c = instance.constructor; typeof c === 'function' && c !== Object; c = Object.getPrototypeOf(c) as Function) {
    const meta = classMetadata(c);
    if (meta !== undefined && meta.prefixes.length > 0) return meta.prefixes;
  }
  return [''];
}

function collectAdvice(instance: object): boolean {
  for (let c = instance.constructor; typeof c === 'function' && c !== Object; c = Object.getPrototypeOf(c) as Function) {
    if (classMetadata(c)?.advice === true) return true;
  }
  return false;
}

/** Every prefix joined with every method pattern; a bare prefix maps itself. */
function combine(prefixes: string[], patterns: string[]): string[] {
  const out: string[] = [];
  for (const prefix of prefixes) {
    for (const pattern of patterns) {
      const joined = prefix === '' ? pattern : pattern === '' ? prefix : `${prefix.replace(/\/$/, '')}/${pattern.replace(/^\//, '')}`;
      if (joined === '') throw new StompError('STOMP_ERR_INVALID_OPTION', 'A method-level @MessageMapping without a pattern needs a class-level prefix');
      out.push(joined);
    }
  }
  return out;
}

function reply(meta: MethodMetadata): ReplyOptions {
  const out: ReplyOptions = {};
  if (meta.sendTo !== undefined) out.sendTo = meta.sendTo;
  if (meta.sendToUser !== undefined) out.sendToUser = meta.sendToUser;
  if (meta.broadcast !== undefined) out.broadcast = meta.broadcast;
  return out;
}
