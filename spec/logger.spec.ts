import { createStderrLogger, silentLogger, StompServer, type LogLevel } from '../broker';
import { formatLine } from '../broker/logger';

/** A stream that keeps what is written. */
function sink(): { write(line: string): void; lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

/** Runs `fn` with env STOMPBOX_LOG_LEVEL set to `value` (deleted when undefined), then restores it. */
function withLevelEnv<T>(value: string | undefined, fn: () => T): T {
  const before = process.env.STOMPBOX_LOG_LEVEL;
  if (value === undefined) delete process.env.STOMPBOX_LOG_LEVEL;
  else process.env.STOMPBOX_LOG_LEVEL = value;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.STOMPBOX_LOG_LEVEL;
    else process.env.STOMPBOX_LOG_LEVEL = before;
  }
}

describe('createStderrLogger', () => {
  it('writes warn and error, not info or debug, when no level is set', () => {
    const out = sink();
    const log = withLevelEnv(undefined, () => createStderrLogger({ stream: out }));
    log.debug({}, 'd');
    log.info({}, 'i');
    log.warn({ sessionId: 's1' }, 'Handler failed');
    log.error({}, 'e');
    expect(out.lines).toEqual(['stompbox warn: Handler failed {"sessionId":"s1"}\n', 'stompbox error: e\n']);
    expect(log.isLevelEnabled('warn')).toBe(true);
    expect(log.isLevelEnabled('info')).toBe(false);
  });

  it('writes to process.stderr by default', () => {
    const seen: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      seen.push(String(chunk));
      return true;
    });
    try {
      withLevelEnv(undefined, () => createStderrLogger()).warn({}, 'to stderr');
    } finally {
      write.mockRestore();
    }
    expect(seen).toEqual(['stompbox warn: to stderr\n']);
  });

  it.each<[LogLevel, string[]]>([
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['error', ['error']],
    ['silent', []],
  ])('takes level %s from env STOMPBOX_LOG_LEVEL', (level, written) => {
    const out = sink();
    const log = withLevelEnv(level.toUpperCase(), () => createStderrLogger({ stream: out }));
    for (const l of ['debug', 'info', 'warn', 'error'] as const) log[l]({}, l);
    expect(out.lines.map((line) => line.split(':')[0])).toEqual(written.map((l) => `stompbox ${l}`));
  });

  it('prefers the level option to the environment', () => {
    const out = sink();
    withLevelEnv('silent', () => createStderrLogger({ stream: out, level: 'info' })).info({}, 'shown');
    expect(out.lines).toEqual(['stompbox info: shown\n']);
  });

  it('says so and keeps warn when the environment names no level', () => {
    const out = sink();
    const log = withLevelEnv('loud', () => createStderrLogger({ stream: out }));
    log.warn({}, 'w');
    expect(out.lines[0]).toMatch(/^stompbox warn: Unknown log level; using warn \{"STOMPBOX_LOG_LEVEL":"loud"/);
    expect(out.lines[1]).toBe('stompbox warn: w\n');
  });

  it('refuses an unknown level option', () => {
    expect(() => createStderrLogger({ level: 'loud' as LogLevel })).toThrow(/received "loud"/);
  });

  it('writes at most maxLinesPerSecond lines a second (default 50) and then says how many it left out', () => {
    const out = sink();
    let now = 1_000_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const log = createStderrLogger({ stream: out, level: 'warn' });
      for (let i = 0; i < 80; i++) log.warn({ i }, 'bad frame');
      expect(out.lines).toHaveLength(50);
      now += 1000;
      log.warn({}, 'next second');
      expect(out.lines.slice(50)).toEqual(['stompbox warn: 30 log lines left out (more than 50 a second)\n', 'stompbox warn: next second\n']);
    } finally {
      clock.mockRestore();
    }
  });

  it('survives a stream that throws', () => {
    const log = createStderrLogger({ level: 'warn', stream: { write: () => { throw new Error('EPIPE'); } } });
    expect(() => log.error({}, 'x')).not.toThrow();
  });
});

describe('formatLine', () => {
  it('gives an error its message, and its stack only at error level', () => {
    const err = new Error('boom');
    expect(formatLine('warn', { err }, 'Handler failed')).toBe('stompbox warn: Handler failed {"err":"boom"}\n');
    const line = formatLine('error', { err }, 'Internal error');
    expect(line).toMatch(/^stompbox error: Internal error \{"err":"boom"\}\n {4}Error: boom\n {4}at /);
  });

  it('writes a line even when the fields do not serialize', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(formatLine('warn', { cyclic }, 'x')).toBe('stompbox warn: x {"fields":"not serializable"}\n');
  });
});

describe('StompServer logger option', () => {
  it('defaults to the stderr logger, silenced by env STOMPBOX_LOG_LEVEL=silent', () => {
    const server = withLevelEnv('silent', () => new StompServer());
    expect(server.options.logger).not.toBe(silentLogger);
    expect(server.options.logger.isLevelEnabled?.('warn')).toBe(false);
    const loud = withLevelEnv(undefined, () => new StompServer());
    expect(loud.options.logger.isLevelEnabled?.('warn')).toBe(true);
    expect(loud.options.logger.isLevelEnabled?.('info')).toBe(false);
  });

  it('refuses something that is not a logger with STOMP_ERR_INVALID_OPTION naming logger', () => {
    expect(() => new StompServer({ logger: { warn: () => undefined } as never })).toThrow(expect.objectContaining({ code: 'STOMP_ERR_INVALID_OPTION', message: expect.stringContaining('"logger"') }));
  });
});
