import { StompError } from '../errors';
import type { PayloadSchema } from './handler-registry';

/**
 * Standard (TC39) decorators for controllers, Spring's annotations by name. They record into
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

function onMethod(method: Function, decorator: string): MethodMetadata {
  if (typeof method !== 'function') throw new StompError('STOMP_ERR_INVALID_OPTION', `@${decorator} decorates methods`);
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

type MethodOrClassDecorator = (target: Function, context: ClassMethodDecoratorContext | ClassDecoratorContext) => void;

function checkStatic(context: ClassMethodDecoratorContext | ClassDecoratorContext, decorator: string): void {
  if (context.kind === 'method' && context.static) throw new StompError('STOMP_ERR_INVALID_OPTION', `@${decorator} cannot decorate static method ${String(context.name)}`);
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
export function MessageMapping(pattern: string | string[] = [], options: MessageMappingOptions = {}): MethodOrClassDecorator {
  const patterns = typeof pattern === 'string' ? [pattern] : pattern;
  return (target, context) => {
    checkStatic(context, 'MessageMapping');
    if (context.kind === 'class') {
      onClass(target).prefixes.push(...patterns);
      return;
    }
    const meta = onMethod(target, 'MessageMapping');
    meta.message.push(...(patterns.length === 0 ? [''] : patterns));
    if (options.schema !== undefined) meta.schema = options.schema;
  };
}

/** Maps SUBSCRIBEs to a destination pattern; the method's return value goes to the subscribing session only. */
export function SubscribeMapping(pattern: string | string[] = []): (target: Function, context: ClassMethodDecoratorContext) => void {
  const patterns = typeof pattern === 'string' ? [pattern] : pattern;
  return (target, context) => {
    checkStatic(context, 'SubscribeMapping');
    onMethod(target, 'SubscribeMapping').subscribe.push(...(patterns.length === 0 ? [''] : patterns));
  };
}

/**
 * Sends the return value to these broker destinations; `{var}` is filled from destination
 * variables. With none, the default applies (`/topic` + the mapped destination), as in Spring.
 */
export function SendTo(...destinations: string[]): (target: Function, context: ClassMethodDecoratorContext) => void {
  return (target) => {
    const meta = onMethod(target, 'SendTo');
    if (destinations.length > 0) meta.sendTo = destinations;
  };
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
export function SendToUser(destination = '', options: SendToUserOptions = {}): (target: Function, context: ClassMethodDecoratorContext) => void {
  return (target) => {
    const meta = onMethod(target, 'SendToUser');
    meta.sendToUser = destination;
    if (options.broadcast !== undefined) meta.broadcast = options.broadcast;
  };
}

/**
 * Marks a method `(error, ctx)` as the handler of errors thrown by the controller's mappings
 * (or, in a `@ControllerAdvice` class, by every mapping). With no classes it handles every
 * error. Its return value is routed like a handler's (`@SendTo`, `@SendToUser`).
 */
export function MessageExceptionHandler(...types: ErrorClass[]): (target: Function, context: ClassMethodDecoratorContext) => void {
  return (target, context) => {
    checkStatic(context, 'MessageExceptionHandler');
    onMethod(target, 'MessageExceptionHandler').exceptionTypes = types;
  };
}

/** Marks a class whose `@MessageExceptionHandler`s apply to every mapping (Spring's `@ControllerAdvice`). */
export function ControllerAdvice(): (target: Function, context: ClassDecoratorContext) => void {
  return (target) => {
    onClass(target).advice = true;
  };
}
