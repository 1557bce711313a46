/** The subset of a pino logger the broker uses; pass pino itself or anything shaped alike. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child?(bindings: object): Logger;
  /** pino's: lets the broker decide once whether per-frame debug lines are wanted. */
  isLevelEnabled?(level: string): boolean;
}

/** Levels of {@link createStderrLogger}, quietest last. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

const noop = (): void => undefined;

/** A logger that writes nothing (pass it as `logger` to silence the broker). */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** Options of {@link createStderrLogger}. */
export interface StderrLoggerOptions {
  /** The lowest level written. @defaultValue env `STOMPBOX_LOG_LEVEL`, else `'warn'` */
  level?: LogLevel;
  /** Where lines go; looked up at each write, so a redirected `process.stderr` is honoured. @defaultValue `process.stderr` */
  stream?: { write(line: string): unknown };
  /**
   * Most lines per second; past it lines are counted, not written, and the next second opens
   * with one line saying how many were left out. Client faults are logged at warn, so without
   * a bound a client opening bad connections in a loop would set the pace of synchronous
   * writes to a terminal or a file. @defaultValue `50`
   */
  maxLinesPerSecond?: number;
}

/**
 * The default logger of the broker, the Redis backplane and the relay: one line per entry on
 * stderr, `warn` and above unless env `STOMPBOX_LOG_LEVEL` (or `level`) says otherwise, so a
 * handler that throws or a Redis that cannot be reached is seen without configuration. The
 * line is `stompbox <level>: <message> <fields as JSON>`; callers never pass message bodies or
 * passcodes. For production logs pass pino (`logger: pino()`), or {@link silentLogger}.
 * @throws Error when `level` names no level (an unknown env value only gets a warn line)
 */
export function createStderrLogger(options: StderrLoggerOptions = {}): Logger & { isLevelEnabled(level: string): boolean } {
  const fromEnv = levelFromEnv(process.env.STOMPBOX_LOG_LEVEL);
  const level = options.level ?? fromEnv ?? 'warn';
  if (!LEVELS.includes(level)) throw new Error(`Log level must be one of ${LEVELS.join(', ')}; received ${JSON.stringify(level)}`);
  const threshold = LEVELS.indexOf(level);
  const max = options.maxLinesPerSecond ?? 50;
  let windowStart = 0;
  let written = 0;
  let suppressed = 0;
  const write = (line: string): void => {
    const stream = options.stream ?? process.stderr;
    try {
      stream.write(line);
    } catch {
      // A closed stderr must not turn a log call into a crash of the caller.
    }
  };
  const log = (at: LogLevel) => (obj: object, msg?: string): void => {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      if (suppressed > 0) write(`stompbox warn: ${suppressed} log lines left out (more than ${max} a second)\n`);
      windowStart = now;
      written = 0;
      suppressed = 0;
    }
    if (written >= max) {
      suppressed++;
      return;
    }
    written++;
    write(formatLine(at, obj, msg));
  };
  const enabled = (l: LogLevel): boolean => LEVELS.indexOf(l) >= threshold && l !== 'silent';
  if (options.level === undefined && fromEnv === undefined && process.env.STOMPBOX_LOG_LEVEL) {
    write(formatLine('warn', { STOMPBOX_LOG_LEVEL: process.env.STOMPBOX_LOG_LEVEL, expected: LEVELS }, 'Unknown log level; using warn'));
  }
  return {
    debug: enabled('debug') ? log('debug') : noop,
    info: enabled('info') ? log('info') : noop,
    warn: enabled('warn') ? log('warn') : noop,
    error: enabled('error') ? log('error') : noop,
    isLevelEnabled: (l: string) => LEVELS.includes(l as LogLevel) && enabled(l as LogLevel),
  };
}

/** The level `STOMPBOX_LOG_LEVEL` names, if it names one. */
function levelFromEnv(value: string | undefined): LogLevel | undefined {
  const v = value?.trim().toLowerCase() as LogLevel | undefined;
  return v !== undefined && LEVELS.includes(v) ? v : undefined;
}

/** `stompbox warn: Handler failed {"sessionId":"…","err":"boom"}`; errors show their stack at `error`. */
export function formatLine(level: LogLevel, obj: object, msg?: string): string {
  const fields: Record<string, unknown> = {};
  let stack: string | undefined;
  for (const [key, value] of Object.entries(obj)) {
    if (value instanceof Error) {
      fields[key] = value.message;
      if (level === 'error' && value.stack !== undefined) stack = value.stack;
    } else fields[key] = value;
  }
  let json: string;
  try {
    json = Object.keys(fields).length === 0 ? '' : ` ${JSON.stringify(fields)}`;
  } catch {
    json = ' {"fields":"not serializable"}';
  }
  return `stompbox ${level}: ${msg ?? ''}${json}${stack === undefined ? '' : `\n${indent(stack)}`}\n`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l.trimStart()}`)
    .join('\n');
}
