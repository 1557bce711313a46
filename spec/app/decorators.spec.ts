/**
 * The decorators under both of TypeScript's decorator implementations: standard (TC39), as
 * this repo compiles, and `experimentalDecorators` (with `emitDecoratorMetadata`), as NestJS
 * apps compile. Each form is compiled with tsc and the compiled code registers the same
 * mappings; the legacy call form is also exercised directly at run time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { registerController } from '../../broker/app/controller';
import { ControllerAdvice, MessageExceptionHandler, MessageMapping, SendTo, SendToUser, SubscribeMapping } from '../../broker/app/decorators';
import { HandlerRegistry } from '../../broker/app/handler-registry';
import { registered } from './fixtures/both-modes-controller';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURE = path.join(__dirname, 'fixtures/both-modes-controller.ts');

const EXPECTED = [
  'message /chat/{room}/send -> RoomController.send {"sendTo":["/topic/chat/{room}"]}',
  'message /chat/{room}/join -> RoomController.join {"sendToUser":"/queue/joined","broadcast":false}',
  'subscribe /chat/{room}/history -> RoomController.history {}',
  'advice: Advice.any',
];

/** Compiles the fixture (and what it imports) to `outDir`; returns tsc's error messages. */
function compile(outDir: string, legacy: boolean): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    esModuleInterop: true,
    skipLibCheck: false,
    types: ['node'],
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    rootDir: ROOT,
    outDir,
    ...(legacy ? { experimentalDecorators: true, emitDecoratorMetadata: true } : {}),
  };
  const program = ts.createProgram([FIXTURE], options);
  const emitted = program.emit();
  return [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('decorators compiled by tsc', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it.each([
    ['standard decorators', false],
    ['experimentalDecorators with emitDecoratorMetadata', true],
  ])('compile without errors and register the mappings under %s', (_name, legacy) => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'stompbox-decorators-'));
    dirs.push(out);
    expect(compile(out, legacy)).toEqual([]);
    const compiled = path.join(out, 'spec/app/fixtures/both-modes-controller.js');
    const source = ts.sys.readFile(compiled) ?? '';
    // Proof of the mode: legacy output calls __decorate, standard output __esDecorate.
    expect(source).toContain(legacy ? '__decorate(' : '__esDecorate(');
    const mod = jest.requireActual<{ registered(): string[] }>(compiled);
    expect(mod.registered().sort()).toEqual([...EXPECTED].sort());
  });
});

describe('decorators at run time', () => {
  it('register the same mappings in the standard form (this file is compiled that way)', () => {
    expect(registered().sort()).toEqual([...EXPECTED].sort());
  });

  it('accept the experimentalDecorators call form: (constructor) and (prototype, name, descriptor)', () => {
    class Legacy {
      greet(): string {
        return 'hi';
      }
      fail(): string {
        return 'no';
      }
    }
    const greet = Object.getOwnPropertyDescriptor(Legacy.prototype, 'greet')!;
    const fail = Object.getOwnPropertyDescriptor(Legacy.prototype, 'fail')!;
    SendTo('/topic/greetings')(Legacy.prototype, 'greet', greet);
    MessageMapping('/greet')(Legacy.prototype, 'greet', greet);
    SubscribeMapping('/hello')(Legacy.prototype, 'greet', greet);
    SendToUser('/queue/failed')(Legacy.prototype, 'fail', fail);
    MessageExceptionHandler(Error)(Legacy.prototype, 'fail', fail);
    MessageMapping('/legacy')(Legacy);
    const registry = new HandlerRegistry();
    const names = registerController(registry, new Legacy()).map((m) => `${m.kind} ${m.pattern.source} ${JSON.stringify(m.sendTo ?? null)}`);
    expect(names.sort()).toEqual(['message /legacy/greet ["/topic/greetings"]', 'subscribe /legacy/hello ["/topic/greetings"]']);
    expect(registry.match('message', '/legacy/greet')?.mapping.exceptionHandlers?.map((h) => h.name)).toEqual(['Legacy.fail']);
  });

  it('accept @ControllerAdvice in the legacy form', () => {
    class Everywhere {
      handle(): string {
        return 'handled';
      }
    }
    MessageExceptionHandler()(Everywhere.prototype, 'handle', Object.getOwnPropertyDescriptor(Everywhere.prototype, 'handle')!);
    ControllerAdvice()(Everywhere);
    const registry = new HandlerRegistry();
    registerController(registry, new Everywhere());
    expect(registry.exceptionHandlers.map((h) => h.name)).toEqual(['Everywhere.handle']);
  });

  it.each<[string, () => void, RegExp]>([
    ['a static method (legacy)', () => MessageMapping('/x')(class {}, 'run', { value: () => 1 }), /not static method run/],
    ['a field (legacy)', () => SendTo('/topic/x')({}, 'field', undefined as unknown as PropertyDescriptor), /not field field/],
    ['an accessor (legacy)', () => SendTo('/topic/x')({}, 'value', { get: () => 1 }), /not accessor value/],
    ['a class (SendTo, legacy)', () => (SendTo('/topic/x') as unknown as (c: Function) => void)(class {}), /@SendTo decorates methods; not a class/],
    [
      'a static method (standard)',
      () => MessageMapping('/x')(() => 1, { kind: 'method', static: true, name: 'run' } as unknown as ClassMethodDecoratorContext),
      /not static method run/,
    ],
    ['a field (standard)', () => SendTo('/x')((() => 1) as Function, { kind: 'field', name: 'f' } as unknown as ClassMethodDecoratorContext), /not a field/],
  ])('refuse %s with STOMP_ERR_INVALID_OPTION', (_what, apply, message) => {
    expect(apply).toThrow(expect.objectContaining({ code: 'STOMP_ERR_INVALID_OPTION', message: expect.stringMatching(message) }));
  });
});
