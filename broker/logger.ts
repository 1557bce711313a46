/** The subset of a pino logger the broker uses; pass pino itself or anything shaped alike. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child?(bindings: object): Logger;
}

const noop = (): void => undefined;

/** A logger that writes nothing: the default. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
