import { DEFAULTS, resolveOptions, silentLogger, StompError, StompServer, type StompServerOptions } from '../broker';
import { version } from '../package.json';

const resolve = (options: StompServerOptions = {}) => resolveOptions(options, silentLogger);

/** Every top-level default and its resolved value (sockjs has its own table). */
const TOP_LEVEL: [string, unknown][] = [
  ['endpoints', ['/stomp']],
  ['websocketEndpoints', []],
  ['brokerPrefixes', ['/topic', '/queue']],
  ['applicationPrefixes', []],
  ['userDestinationPrefix', '/user'],
  ['allowClientSendToBroker', true],
  ['heartbeat', [10000, 10000]],
  ['heartbeatTolerance', 2],
  ['connectTimeout', 10000],
  ['maxFrameSize', 65536],
  ['maxHeaders', 100],
  ['maxHeaderLength', 8192],
  ['maxSubscriptionsPerSession', 1000],
  ['maxTransactionsPerSession', 16],
  ['maxFramesPerTransaction', 1000],
  ['maxTransactionBytes', 262144],
  ['maxBacklogFrames', 10000],
  ['maxBacklogBytes', 262144],
  ['maxSubscriptionBytes', 262144],
  ['maxPendingAcks', 10000],
  ['sendBufferLimit', 524288],
  ['sendTimeLimit', 10000],
  ['slowConsumerPolicy', 'terminate'],
  ['maxConnections', 10000],
  ['maxFramesPerSecond', 0],
  ['shutdownTimeout', 5000],
  ['retention', []],
  ['retentionBytes', 67108864],
  ['store', 'memory'],
  ['queues', []],
  ['queueBytes', 67108864],
  ['metrics', false],
  ['metricsPath', '/metrics'],
  ['healthPath', '/health'],
  ['serverName', `stompbox/${version}`],
  ['serveClientLibraries', true],
  ['publicBasePath', ''],
  ['allowedOrigins', []],
  ['sse', false],
  ['httpPublish', false],
  ['staticDir', undefined],
  ['tcp', undefined],
];

describe('resolveOptions defaults', () => {
  const resolved = resolve();

  it.each<[string, unknown]>(TOP_LEVEL)('resolves %s to %p', (name, expected) => {
    expect((resolved as Record<string, unknown>)[name]).toEqual(expected);
  });

  it('has a test above for every field of DEFAULTS', () => {
    const tested = [...TOP_LEVEL.map(([name]) => name), 'sockjs'].filter((n) => n !== 'staticDir' && n !== 'tcp');
    expect(tested.sort()).toEqual(Object.keys(DEFAULTS).sort());
  });

  it.each<[string, unknown]>([
    ['heartbeatDelay', 25000],
    ['disconnectDelay', 5000],
    ['streamLimit', 131072],
    ['clientUrl', '/lib/sockjs.min.js'],
    ['bindRemoteAddress', false],
  ])('resolves sockjs.%s to %p', (name, expected) => {
    expect((resolved.sockjs as Record<string, unknown>)[name]).toEqual(expected);
  });

  it('puts publicBasePath in front of the default sockjs.clientUrl, not in front of one given', () => {
    expect(resolve({ publicBasePath: '/app' }).sockjs.clientUrl).toBe('/app/lib/sockjs.min.js');
    expect(resolve({ publicBasePath: '/app', sockjs: { clientUrl: '/cdn/sockjs.js' } }).sockjs.clientUrl).toBe('/cdn/sockjs.js');
  });

  it('uses the logger it is given', () => {
    expect(resolved.logger).toBe(silentLogger);
  });

  it('lists a default in DEFAULTS for every resolved option but staticDir, tcp and logger', () => {
    const keys = Object.keys(resolved).filter((k) => k !== 'staticDir' && k !== 'tcp' && k !== 'logger');
    expect(keys.sort()).toEqual(Object.keys(DEFAULTS).sort());
  });

  it('freezes DEFAULTS', () => {
    expect(Object.isFrozen(DEFAULTS)).toBe(true);
    expect(Object.isFrozen(DEFAULTS.sockjs)).toBe(true);
  });

  it('treats undefined fields as absent', () => {
    const r = resolve({ maxFrameSize: undefined, sockjs: { heartbeatDelay: undefined } });
    expect(r.maxFrameSize).toBe(65536);
    expect(r.sockjs.heartbeatDelay).toBe(25000);
  });

  it('keeps the defaults of sockjs fields not given', () => {
    const r = resolve({ sockjs: { disconnectDelay: 100 } });
    expect(r.sockjs).toEqual({ heartbeatDelay: 25000, disconnectDelay: 100, streamLimit: 131072, clientUrl: '/lib/sockjs.min.js', bindRemoteAddress: false });
  });
});

describe('resolved options', () => {
  it('are frozen, arrays and sockjs settings included', () => {
    const r = resolve();
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(r.endpoints)).toBe(true);
    expect(Object.isFrozen(r.websocketEndpoints)).toBe(true);
    expect(Object.isFrozen(r.brokerPrefixes)).toBe(true);
    expect(Object.isFrozen(r.applicationPrefixes)).toBe(true);
    expect(Object.isFrozen(r.allowedOrigins)).toBe(true);
    expect(Object.isFrozen(r.heartbeat)).toBe(true);
    expect(Object.isFrozen(r.sockjs)).toBe(true);
  });

  it('do not follow later changes to the caller’s arrays', () => {
    const endpoints = ['/a'];
    const heartbeat: [number, number] = [1, 2];
    const r = resolve({ endpoints, heartbeat });
    endpoints.push('/b');
    heartbeat[0] = 99;
    expect(r.endpoints).toEqual(['/a']);
    expect(r.heartbeat).toEqual([1, 2]);
  });

  it('accept every minimum', () => {
    const r = resolve({
      connectTimeout: 1,
      maxFrameSize: 64,
      maxHeaders: 1,
      maxHeaderLength: 16,
      maxSubscriptionsPerSession: 1,
      maxTransactionsPerSession: 0,
      maxFramesPerTransaction: 1,
      maxTransactionBytes: 1024,
      maxBacklogFrames: 1,
      maxBacklogBytes: 1024,
      maxSubscriptionBytes: 1024,
      maxPendingAcks: 1,
      heartbeat: [0, 0],
      heartbeatTolerance: 1,
      endpoints: ['/'],
    });
    expect(r.maxTransactionsPerSession).toBe(0);
    expect(r.heartbeat).toEqual([0, 0]);
  });

  it('are what a StompServer exposes', () => {
    const server = new StompServer({ maxHeaders: 7 });
    expect(server.options.maxHeaders).toBe(7);
    expect(Object.isFrozen(server.options)).toBe(true);
  });
});

describe('the tcp option', () => {
  it('resolves port, host and tls, frozen', () => {
    const tls = { key: 'k', cert: 'c' };
    const tcp = resolve({ tcp: { port: 61613, host: '127.0.0.1', tls } }).tcp!;
    expect(tcp).toEqual({ port: 61613, host: '127.0.0.1', tls });
    expect(Object.isFrozen(tcp)).toBe(true);
    expect(resolve({ tcp: { port: 0 } }).tcp).toEqual({ port: 0, host: undefined, tls: undefined });
  });

  it.each<[string, unknown]>([
    ['tcp', 61613],
    ['tcp', null],
    ['tcp.port', {}],
    ['tcp.port', { port: -1 }],
    ['tcp.port', { port: 65536 }],
    ['tcp.port', { port: '61613' }],
    ['tcp.host', { port: 0, host: '' }],
    ['tcp.tls', { port: 0, tls: 'cert.pem' }],
    ['tcp.tls', { port: 0, tls: { cert: 'c' } }],
    ['tcp.tsl', { port: 0, tsl: {} }],
  ])('refuses a bad %s (%p), naming it', (name, tcp) => {
    expect(() => resolve({ tcp: tcp as StompServerOptions['tcp'] })).toThrow(expect.objectContaining({ code: 'STOMP_ERR_INVALID_OPTION', message: expect.stringContaining(`"${name}"`) }));
  });

  it('never prints a private key in its message', () => {
    expect(() => resolve({ tcp: { port: 0, tls: { key: 'SECRET-KEY' } } })).toThrow(expect.objectContaining({ message: expect.not.stringContaining('SECRET-KEY') }));
  });
});

describe('invalid options', () => {
  it.each<[string, StompServerOptions]>([
    ['endpoints', { endpoints: '/stomp' as unknown as string[] }],
    ['endpoints', { endpoints: ['stomp'] }],
    ['endpoints', { endpoints: ['/stomp/'] }],
    ['websocketEndpoints', { websocketEndpoints: [42 as unknown as string] }],
    ['brokerPrefixes', { brokerPrefixes: ['topic'] }],
    ['applicationPrefixes', { applicationPrefixes: ['/app/'] }],
    ['userDestinationPrefix', { userDestinationPrefix: 'user' }],
    ['connectTimeout', { connectTimeout: 0 }],
    ['maxFrameSize', { maxFrameSize: 63 }],
    ['maxFrameSize', { maxFrameSize: 1024.5 }],
    ['maxHeaders', { maxHeaders: 0 }],
    ['maxHeaderLength', { maxHeaderLength: 15 }],
    ['maxSubscriptionsPerSession', { maxSubscriptionsPerSession: 0 }],
    ['maxTransactionsPerSession', { maxTransactionsPerSession: -1 }],
    ['maxFramesPerTransaction', { maxFramesPerTransaction: 0 }],
    ['maxTransactionBytes', { maxTransactionBytes: 1023 }],
    ['maxBacklogFrames', { maxBacklogFrames: 0 }],
    ['maxBacklogBytes', { maxBacklogBytes: 2048.5 }],
    ['maxSubscriptionBytes', { maxSubscriptionBytes: -1 }],
    ['maxPendingAcks', { maxPendingAcks: Number.NaN }],
    ['heartbeat', { heartbeat: [1000] as unknown as [number, number] }],
    ['heartbeat', { heartbeat: [-1, 0] }],
    ['heartbeat', { heartbeat: [1.5, 0] }],
    ['heartbeatTolerance', { heartbeatTolerance: 0.5 }],
    ['heartbeatTolerance', { heartbeatTolerance: '2' as unknown as number }],
    ['sockjs.heartbeatDelay', { sockjs: { heartbeatDelay: 0 } }],
    ['sockjs.disconnectDelay', { sockjs: { disconnectDelay: -5 } }],
    ['sockjs.streamLimit', { sockjs: { streamLimit: 1.5 } }],
    ['serverName', { serverName: 'stompbox\r\nx-injected:1' }],
    ['staticDir', { staticDir: 42 as unknown as string }],
    ['sendBufferLimit', { sendBufferLimit: 1023 }],
    ['sendTimeLimit', { sendTimeLimit: 99 }],
    ['slowConsumerPolicy', { slowConsumerPolicy: 'ignore' as never }],
    ['maxConnections', { maxConnections: -1 }],
    ['maxFramesPerSecond', { maxFramesPerSecond: 1.5 }],
    ['shutdownTimeout', { shutdownTimeout: -1 }],
    ['retention', { retention: { destinations: '/topic/**' } as never }],
    ['retention[0]', { retention: [null as never] }],
    ['retention[0].destinations', { retention: [{ destinations: 42 as never, messages: 1 }] }],
    ['retention[0].destinations', { retention: [{ destinations: 'topic/**', messages: 1 }] }],
    ['retention[0].messages', { retention: [{ destinations: '/topic/**', messages: 0 }] }],
    ['retention[1].maxAge', { retention: [{ destinations: '/a', messages: 1 }, { destinations: '/topic/**', messages: 5, maxAge: 1.5 }] }],
    ['retention[0].max', { retention: [{ destinations: '/topic/**', messages: 5, max: 3 } as never] }],
    ['retentionBytes', { retentionBytes: 1023 }],
    ['queues', { queues: { destinations: '/queue/**' } as never }],
    ['queues[0]', { queues: [null as never] }],
    ['queues[0].destinations', { queues: [{ destinations: 'queue/**' }] }],
    ['queues[0].maxMessages', { queues: [{ destinations: '/queue/**', maxMessages: 0 }] }],
    ['queues[0].maxRedeliveries', { queues: [{ destinations: '/queue/**', maxRedeliveries: -1 }] }],
    ['queues[0].overflow', { queues: [{ destinations: '/queue/**', overflow: 'drop-newest' as never }] }],
    ['queues[0].expired', { queues: [{ destinations: '/queue/**', expired: 'keep' as never }] }],
    ['queues[0].expired', { queues: [{ destinations: '/queue/**', expired: 'dead-letter' }] }],
    ['queues[0].deadLetter', { queues: [{ destinations: '/queue/**', deadLetter: 'DLQ' }] }],
    ['queues[1].deadLetter', { queues: [{ destinations: '/a' }, { destinations: '/queue/{q}', deadLetter: '/queue/DLQ.{other}' }] }],
    ['queues[0].max', { queues: [{ destinations: '/queue/**', max: 3 } as never] }],
    ['queueBytes', { queueBytes: 1023 }],
    ['metrics', { metrics: 'yes' as unknown as boolean }],
    ['metricsPath', { metricsPath: 'metrics' }],
    ['healthPath', { healthPath: '/health/' }],
    ['allowedOrigins', { allowedOrigins: [1 as unknown as string] }],
    ['allowClientSendToBroker', { allowClientSendToBroker: 'no' as unknown as boolean }],
    ['serveClientLibraries', { serveClientLibraries: 0 as unknown as boolean }],
    ['sockjs.clientUrl', { sockjs: { clientUrl: 42 as unknown as string } }],
    ['sockjs.bindRemoteAddress', { sockjs: { bindRemoteAddress: 'yes' as unknown as boolean } }],
    ['publicBasePath', { publicBasePath: 'app' }],
    ['publicBasePath', { publicBasePath: '/app/' }],
    ['publicBasePath', { publicBasePath: '/' }],
  ])('refuse a bad %s with STOMP_ERR_INVALID_OPTION naming it', (name, options) => {
    let caught: unknown;
    try {
      resolve(options);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StompError);
    expect((caught as StompError).code).toBe('STOMP_ERR_INVALID_OPTION');
    expect((caught as StompError).message).toContain(`"${name}"`);
  });

  it('refuse a non-object', () => {
    expect(() => resolve(null as unknown as StompServerOptions)).toThrow(expect.objectContaining({ code: 'STOMP_ERR_INVALID_OPTION' }));
  });

  it('make the StompServer constructor throw', () => {
    expect(() => new StompServer({ maxHeaders: 0 })).toThrow(expect.objectContaining({ code: 'STOMP_ERR_INVALID_OPTION' }));
  });

  it('name the value received', () => {
    expect(() => resolve({ connectTimeout: -3 })).toThrow(/received -3/);
  });
});
