import { registerController } from '../../broker/app/controller';
import { ControllerAdvice, MessageExceptionHandler, MessageMapping, SendTo, SendToUser, SubscribeMapping } from '../../broker/app/decorators';
import { HandlerRegistry } from '../../broker/app/handler-registry';
import { isStompError } from '../../broker/errors';

@MessageMapping('/chat')
class ChatController {
  @MessageMapping('/{room}')
  @SendTo('/topic/chat/{room}')
  say(text: string): string {
    return text;
  }

  @SubscribeMapping('/rooms')
  rooms(): string[] {
    return ['lobby'];
  }

  @MessageMapping('/whoami')
  @SendToUser('/queue/me', { broadcast: false })
  whoami(): string {
    return 'me';
  }

  @MessageExceptionHandler(RangeError)
  range(): string {
    return 'range';
  }
}

class LoudChatController extends ChatController {
  @MessageMapping('/shout/{room}')
  shout(text: string): string {
    return text.toUpperCase();
  }
}

describe('registerController', () => {
  it('combines the class prefix with each method mapping', () => {
    const r = new HandlerRegistry();
    registerController(r, new ChatController());
    expect(r.match('message', '/chat/lobby')).toMatchObject({ mapping: { name: 'ChatController.say', sendTo: ['/topic/chat/{room}'] }, params: { room: 'lobby' } });
    expect(r.match('subscribe', '/chat/rooms')?.mapping.name).toBe('ChatController.rooms');
    expect(r.match('message', '/chat/whoami')?.mapping).toMatchObject({ sendToUser: '/queue/me', broadcast: false });
  });

  it('binds handlers to the instance and attaches its exception handlers', () => {
    const r = new HandlerRegistry();
    registerController(r, new ChatController());
    const m = r.match('message', '/chat/lobby')!.mapping;
    expect((m.handler as (t: string) => string)('hi')).toBe('hi');
    expect(m.exceptionHandlers?.map((h) => [h.name, h.types])).toEqual([['ChatController.range', [RangeError]]]);
  });

  it('inherits mappings and the class prefix from a parent class', () => {
    const r = new HandlerRegistry();
    registerController(r, new LoudChatController());
    expect(r.match('message', '/chat/shout/x')?.mapping.name).toBe('LoudChatController.shout');
    expect(r.match('message', '/chat/x')?.mapping.name).toBe('LoudChatController.say');
  });

  it('refuses a second instance of the same controller, naming both mappings', () => {
    const r = new HandlerRegistry();
    registerController(r, new ChatController());
    expect(() => registerController(r, new ChatController())).toThrow(/ChatController\.say.*ChatController\.say/);
  });

  it('refuses an object without decorated methods', () => {
    const r = new HandlerRegistry();
    let caught: unknown;
    try {
      registerController(r, {});
    } catch (err) {
      caught = err;
    }
    expect(isStompError(caught, 'STOMP_ERR_INVALID_OPTION')).toBe(true);
  });

  it('registers the exception handlers of a @ControllerAdvice class globally', () => {
    @ControllerAdvice()
    class Advice {
      @MessageExceptionHandler()
      any(): string {
        return 'any';
      }
    }
    const r = new HandlerRegistry();
    registerController(r, new Advice());
    expect(r.exceptionHandlers.map((h) => [h.name, h.types])).toEqual([['Advice.any', []]]);
  });
});
