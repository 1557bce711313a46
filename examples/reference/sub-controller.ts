import { MessageMapping, StompError, type MessageContext, type MessagingTemplate } from '../../broker';

/** What the demo pages send: `{"name": "..."}` (a bare string is taken as the name). */
export type NamePayload = { name?: unknown } | string | undefined;

/** Pace of the pushes, and how many may run at once. */
export interface PushSchedule {
  /** Milliseconds between two pushed messages. */
  readonly interval: number;
  /** Messages pushed per request. */
  readonly count: number;
  /** Most schedules one session's requests may have running at once. */
  readonly maxPerSession: number;
  /** Most schedules running at once, all sessions together. */
  readonly maxTotal: number;
}

/**
 * The controller of the classic Spring demo, one-to-one: `/subscribe` broadcasts to every
 * subscriber of `/topic/getResponse`, `/queue` pushes point-to-point to user `zhangsan` at
 * `/message` (`/user/zhangsan/message`). Like the original, the handlers push through the
 * messaging template on a schedule and return nothing, so the session is free meanwhile.
 *
 * Unlike the original, the work one client can start is bounded: each request starts one
 * schedule (one timer, `count` messages), at most `maxPerSession` per session and `maxTotal`
 * in all run at once; a request past either starts nothing and gets a handler error
 * (`STOMP_ERR_RATE_LIMITED`) on the session's `/user/queue/errors`. A schedule outlives the
 * session that started it, as in the Spring original (other tabs still want its messages),
 * and keeps counting against `maxTotal` until it ends; a session's own count is forgotten
 * when its last schedule ends.
 */
export class SubController {
  private readonly timers = new Set<ReturnType<typeof setInterval>>();
  /** Running schedules per session id (only sessions with one running). */
  private readonly running = new Map<string, number>();

  constructor(
    private readonly template: MessagingTemplate,
    private readonly schedule: PushSchedule,
  ) {}

  /** `@MessageMapping("/subscribe")`: `count` messages `<name>-<epoch ms>` to `/topic/getResponse`. */
  @MessageMapping('/subscribe')
  subscribe(payload: NamePayload, ctx: MessageContext): void {
    const name = nameOf(payload);
    this.repeat(ctx.sessionId, () => this.template.convertAndSend('/topic/getResponse', `${name}-${Date.now()}`));
  }

  /** `@MessageMapping("/queue")`: `count` messages `<name>` to user zhangsan at `/message`. */
  @MessageMapping('/queue')
  queue(payload: NamePayload, ctx: MessageContext): void {
    const name = nameOf(payload);
    this.repeat(ctx.sessionId, () => this.template.convertAndSendToUser('zhangsan', '/message', name));
  }

  /** Schedules running now, all sessions together. */
  get active(): number {
    return this.timers.size;
  }

  /** Stops every schedule still running (on server close). */
  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    this.running.clear();
  }

  /**
   * Calls `send` `count` times, one every `interval` ms, starting now, on behalf of `sessionId`.
   * @throws StompError `STOMP_ERR_RATE_LIMITED` when the session or the app runs its most schedules
   */
  private repeat(sessionId: string, send: () => Promise<void>): void {
    const { maxPerSession, maxTotal } = this.schedule;
    const mine = this.running.get(sessionId) ?? 0;
    if (mine >= maxPerSession) {
      throw new StompError('STOMP_ERR_RATE_LIMITED', `This session already runs ${maxPerSession} pushes; wait for one to finish`);
    }
    if (this.timers.size >= maxTotal) {
      throw new StompError('STOMP_ERR_RATE_LIMITED', `The server already runs ${maxTotal} pushes; try again shortly`);
    }
    this.running.set(sessionId, mine + 1);
    let sent = 0;
    const tick = (): void => {
      void send();
      if (++sent >= this.schedule.count) this.finish(sessionId, timer);
    };
    const timer = setInterval(tick, this.schedule.interval);
    this.timers.add(timer);
    tick();
  }

  private finish(sessionId: string, timer: ReturnType<typeof setInterval>): void {
    clearInterval(timer);
    if (!this.timers.delete(timer)) return;
    const left = (this.running.get(sessionId) ?? 1) - 1;
    if (left > 0) this.running.set(sessionId, left);
    else this.running.delete(sessionId);
  }
}

function nameOf(payload: NamePayload): string {
  if (payload !== null && typeof payload === 'object' && payload.name !== undefined) return String(payload.name);
  return typeof payload === 'string' ? payload : '';
}
