import { MessageMapping, type MessagingTemplate } from '../../broker';

/** What the demo pages send: `{"name": "..."}` (a bare string is taken as the name). */
export type NamePayload = { name?: unknown } | string | undefined;

/** Pace of the pushes. */
export interface PushSchedule {
  /** Milliseconds between two pushed messages. */
  readonly interval: number;
  /** Messages pushed per request. */
  readonly count: number;
}

/**
 * The controller of the classic Spring demo, one-to-one: `/subscribe` broadcasts to every
 * subscriber of `/topic/getResponse`, `/queue` pushes point-to-point to user `zhangsan` at
 * `/message` (`/user/zhangsan/message`). Like the original, the handlers push through the
 * messaging template on a schedule and return nothing, so the session is free meanwhile.
 */
export class SubController {
  private readonly timers = new Set<ReturnType<typeof setInterval>>();

  constructor(
    private readonly template: MessagingTemplate,
    private readonly schedule: PushSchedule,
  ) {}

  /** `@MessageMapping("/subscribe")`: `count` messages `<name>-<epoch ms>` to `/topic/getResponse`. */
  @MessageMapping('/subscribe')
  subscribe(payload: NamePayload): void {
    const name = nameOf(payload);
    this.repeat(() => this.template.convertAndSend('/topic/getResponse', `${name}-${Date.now()}`));
  }

  /** `@MessageMapping("/queue")`: `count` messages `<name>` to user zhangsan at `/message`. */
  @MessageMapping('/queue')
  queue(payload: NamePayload): void {
    const name = nameOf(payload);
    this.repeat(() => this.template.convertAndSendToUser('zhangsan', '/message', name));
  }

  /** Stops every schedule still running (on server close). */
  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
  }

  /** Calls `send` `count` times, one every `interval` ms, starting now. */
  private repeat(send: () => Promise<void>): void {
    let sent = 0;
    const tick = (): void => {
      void send();
      if (++sent >= this.schedule.count) {
        clearInterval(timer);
        this.timers.delete(timer);
      }
    };
    const timer = setInterval(tick, this.schedule.interval);
    this.timers.add(timer);
    tick();
  }
}

function nameOf(payload: NamePayload): string {
  if (payload !== null && typeof payload === 'object' && payload.name !== undefined) return String(payload.name);
  return typeof payload === 'string' ? payload : '';
}
