import { StompError } from '../errors';
import type { PayloadSchema } from './handler-registry';

/**
 * Decorators for controllers, Spring's annotations by name. They work as standard (TC39)
 * decorators and under `experimentalDecorators` (what NestJS apps compile with): each call
 * reads which form it came in. They record into
 * WeakMaps keyed by the decorated method or class (no `reflect-metadata`, no
 * `Symbol.metadata`, which Node 20 lacks); `server.register(instance)` reads them back and
 * feeds the same registry as `onMessage()`.
 *
 * @example
 * \@MessageMapping('/chat')
 * class ChatController {
 *   \@MessageMapping('/{room}')
 *   \@SendTo('/topic/chat/{room}')
 *   say(text: string, ctx: MessageContext) { return `${ctx.user}: ${text}`; }
 * }
 * server.register(new ChatController());
 */

/** Any class (the error types of `@MessageExceptionHandler`). */
export type ErrorClass = abstract new (...args: any[]) => unknown;

/** What the decorators of one method recorded. */
export interface MethodMetadata {
  message: string[];
  subscribe: string[];
  schema?: PayloadSchema;
  sendTo?: string[];
  sendToUser?: string;
  broadcast?: boolean;
  /** Set by `@MessageExceptionHandler`: the error classes handled (empty: all). */
  exceptionTypes?: ErrorClass[];
}

/** What the decorators of one class recorded. */
export interface ClassMetadata {
  prefixes: string[];
  advice: boolean;
}

const methods = new WeakMap<Function, MethodMetadata>();
const classes = new WeakMap<Function, ClassMetadata>();

/** The metadata of a decorated method, if any. */
export function methodMetadata(method: Function): MethodMetadata | undefined {
  return methods.get(method);
}

/** The metadata of a decorated class, if any. */
export function classMetadata(cls: Function): ClassMetadata | undefined {
  return classes.get(cls);
}

function metaOf(method: Function): MethodMetadata {
  let meta = methods.get(method);
  if (meta === undefined) {
    meta = { message: [], subscribe: [] };
    methods.set(method, meta);
  }
  return meta;
}

function onClass(cls: Function): ClassMetadata {
  let meta = classes.get(cls);
  if (meta === undefined) {
    meta = { prefixes: [], advice: false };
    classes.set(cls, meta);
  }
  return meta;
}

/**
 * A method decorator, callable both ways TypeScript calls decorators: standard (TC39)
 * `(method, context)`, and `experimentalDecorators` (NestJS, Angular, older TypeORM code)
 * `(prototype, name, descriptor)`. One overload per form, so both compile.
 */
export interface StompMethodDecorator {
  (target: Function, context: ClassMethodDecoratorContext): void;
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): void;
}

/** A decorator for classes and methods, in both forms (see {@link StompMethodDecorator}). */
export interface StompClassOrMethodDecorator extends StompMethodDecorator {
  (target: Function, context: ClassDecoratorContext): void;
  (target: Function): void;
}

/** A class decorator in both forms. */
export interface StompClassDecorator {
  (target: Function, context: ClassDecoratorContext): void;
  (target: Function): void;
}

/** What one decorator call is applied to, whichever form it came in. */
type Decorated = { kind: 'method'; method: Function } | { kind: 'class'; cls: Function };

/**
 * Reads the call form. Standard: a context object with `kind` as second argument. Legacy
 * (`experimentalDecorators`): `(constructor)` on a class; `(prototype, key, descriptor)` on
 * a method, where a static method's target is the constructor itself and a field has no
 * descriptor value to record.
 * @throws StompError `STOMP_ERR_INVALID_OPTION` for a static method, a field, an accessor
 */
function decorated(decorator: string, args: unknown[], classes: boolean): Decorated {
  const [target, second, descriptor] = args;
  const refuse = (what: string): never => {
    throw new StompError('STOMP_ERR_INVALID_OPTION', `@${decorator} decorates ${classes ? 'classes and ' : ''}methods; not ${what}`);
  };
  if (second !== null && typeof second === 'object' && 'kind' in second) {
    const context = second as DecoratorContext;
    if (context.kind === 'class' && classes) return { kind: 'class', cls: target as Function };
    if (context.kind !== 'method') return refuse(`a ${context.kind}`);
    if (context.static) return refuse(`static method ${String(context.name)}`);
    return { kind: 'method', method: target as Function };
  }
  if (args.length === 1 || (second === undefined && descriptor === undefined && typeof target === 'function')) {
    if (classes && typeof target === 'function') return { kind: 'class', cls: target };
    return refuse('a class');
  }
  const name = String(second);
  if (typeof target === 'function') return refuse(`static method ${name}`);
  const value = (descriptor as PropertyDescriptor | undefined)?.value as unknown;
  if (typeof value !== 'function') return refuse(`${descriptor === undefined ? 'field' : 'accessor'} ${name}`);
  return { kind: 'method', method: value };
}

/** The metadata of the method a decorator call applies to. */
function onMethod(decorator: string, args: unknown[]): MethodMetadata {
  const target = decorated(decorator, args, false) as { method: Function };
  return metaOf(target.method);
}

/** Options of `@MessageMapping`. */
export interface MessageMappingOptions {
  /** Validates the decoded payload (any object with `safeParse`, e.g. a zod schema). */
  schema?: PayloadSchema;
}

/**
 * Maps SENDs to a destination pattern (`{var}`, `*`, `**`). On a class it sets a prefix that
 * combines with every method mapping of the class (`/chat` + `/{room}` = `/chat/{room}`).
 */
export function MessageMapping(pattern: string | string[] = [], options: MessageMappingOptions = {}): StompClassOrMethodDecorator {
  const patterns = typeof pattern === 'string' ? [pattern] : pattern;
  return ((...args: unknown[]): void => {
    const target = decorated('MessageMapping', args, true);
    if (target.kind === 'class') {
      onClass(target.cls).prefixes.push(...patterns);
      return;
    }
    const meta = metaOf(target.method);
    meta.message.push(...(patterns.length === 0 ? [''] : patterns));
    if (options.schema !== undefined) meta.schema = options.schema;
  }) as StompClassOrMethodDecorator;
}

/** Maps SUBSCRIBEs to a destination pattern; the method's return value goes to the subscribing session only. */
export function SubscribeMapping(pattern: string | string[] = []): StompMethodDecorator {
  const patterns = typeof pattern === 'string' ? [pattern] : pattern;
  return ((...args: unknown[]): void => {
    onMethod('SubscribeMapping', args).subscribe.push(...(patterns.length === 0 ? [''] : patterns));
  }) as StompMethodDecorator;
}

/**
 * Sends the return value to these broker destinations; `{var}` is filled from destination
 * variables. With none, the default applies (`/topic` + the mapped destination), as in Spring.
 */
export function SendTo(...destinations: string[]): StompMethodDecorator {
  return ((...args: unknown[]): void => {
    const meta = onMethod('SendTo', args);
    if (destinations.length > 0) meta.sendTo = destinations;
  }) as StompMethodDecorator;
}

/** Options of `@SendToUser`. */
export interface SendToUserOptions {
  /** False: only the sending session receives it, not every session of the user. @defaultValue true */
  broadcast?: boolean;
}

/**
 * Sends the return value to the sending user at `/user<destination>` (e.g. `/queue/reply`);
 * without a destination, at `/user/queue` + the mapped destination, as in Spring.
 */
export function SendToUser(destination = '', options: SendToUserOptions = {}): StompMethodDecorator {
  return ((...args: unknown[]): void => {
    const meta = onMethod('SendToUser', args);
    meta.sendToUser = destination;
    if (options.broadcast !== undefined) meta.broadcast = options.broadcast;
  }) as StompMethodDecorator;
}

/**
 * Marks a method `(error, ctx)` as the handler of errors thrown by the controller's mappings
 * (or, in a `@ControllerAdvice` class, by every mapping). With no classes it handles every
 * error. Its return value is routed like a handler's (`@SendTo`, `@SendToUser`).
 */
export function MessageExceptionHandler(...types: ErrorClass[]): StompMethodDecorator {
  return ((...args: unknown[]): void => {
    onMethod('MessageExceptionHandler', args).exceptionTypes = types;
  }) as StompMethodDecorator;
}

/** Marks a class whose `@MessageExceptionHandler`s apply to every mapping (Spring's `@ControllerAdvice`). */
export function ControllerAdvice(): StompClassDecorator {
  return ((...args: unknown[]): void => {
    const target = decorated('ControllerAdvice', args, true);
    if (target.kind !== 'class') throw new StompError('STOMP_ERR_INVALID_OPTION', '@ControllerAdvice decorates classes');
    onClass(target.cls).advice = true;
  }) as StompClassDecorator;
}
