import { Injectable } from '@nestjs/common';
// stompbox's MessageMapping, not the one of @nestjs/websockets or @nestjs/microservices.
import { MessageMapping, MessagingTemplate, SendTo, SendToUser, SubscribeMapping, type MessageContext } from '../../broker';
import { GreetingService } from './greeting.service';

/**
 * STOMP handlers on a Nest provider: StompboxModule finds the decorated methods, and Nest
 * injects the constructor's dependencies (another provider and stompbox's messaging template).
 */
@Injectable()
export class ChatHandlers {
  constructor(
    private readonly greetings: GreetingService,
    private readonly template: MessagingTemplate,
  ) {}

  /** SEND /app/greet {"name": "..."}: the greeting goes to every subscriber of /topic/greetings. */
  @MessageMapping('/greet')
  @SendTo('/topic/greetings')
  greet(payload: { name?: string }): string {
    return this.greetings.greet(payload.name ?? 'stranger');
  }

  /** SEND /app/whisper/{to}: a private message through the injected template; the sender gets a receipt. */
  @MessageMapping('/whisper/{to}')
  @SendToUser('/queue/sent', { broadcast: false })
  async whisper(text: string, ctx: MessageContext): Promise<string> {
    await this.template.convertAndSendToUser(ctx.params.to, '/queue/whispers', `${ctx.user ?? 'anonymous'}: ${text}`);
    return `sent to ${ctx.params.to}`;
  }

  /** SUBSCRIBE /app/stats: answered to the subscriber only. */
  @SubscribeMapping('/stats')
  stats(): { greeted: number } {
    return { greeted: this.greetings.greeted };
  }

  /** SEND /app/fail: fails on purpose, to show how handler errors surface. */
  @MessageMapping('/fail')
  fail(): never {
    throw new Error('this handler always fails');
  }
}
