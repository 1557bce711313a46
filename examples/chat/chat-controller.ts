import { z } from 'zod';
import { MessageExceptionHandler, MessageMapping, SendTo, SendToUser, SubscribeMapping, type MessageContext, type MessagingTemplate } from '../../broker';

/** A chat line as clients send it. */
export const ChatLine = z.object({ text: z.string().trim().min(1).max(500) });
/** A direct message as clients send it. */
export const DirectLine = z.object({ text: z.string().trim().min(1).max(500) });

/** A chat line as everyone in the room receives it. */
export interface RoomMessage {
  readonly room: string;
  readonly from: string;
  readonly text: string;
  readonly at: number;
}

/** Thrown when a user writes to a room they have not joined. */
export class NotInRoomError extends Error {
  constructor(readonly room: string) {
    super(`Join room "${room}" before writing to it`);
  }
}

const HISTORY = 20;

/**
 * Chat rooms as destination variables: clients SEND to `/app/chat/<room>/...` and subscribe
 * to `/topic/chat/<room>`. Replies meant for one user go to their `/user/queue/...`
 * destinations; direct messages reach every session of the addressee and nobody else.
 */
@MessageMapping('/chat')
export class ChatController {
  private readonly members = new Map<string, Set<string>>();
  private readonly history = new Map<string, RoomMessage[]>();

  constructor(private readonly template: MessagingTemplate) {}

  /** Joins a room; the reply (who is there) goes to the joining session only. */
  @MessageMapping('/{room}/join')
  @SendToUser('/queue/joined', { broadcast: false })
  join(_payload: unknown, ctx: MessageContext): { room: string; members: string[] } {
    const room = ctx.params.room;
    const members = this.members.get(room) ?? new Set<string>();
    members.add(ctx.user!);
    this.members.set(room, members);
    void this.template.convertAndSend(`/topic/chat/${room}/presence`, { room, joined: ctx.user });
    return { room, members: [...members].sort() };
  }

  /** Writes to a room: everyone subscribed to `/topic/chat/<room>` receives it. */
  @MessageMapping('/{room}/send', { schema: ChatLine })
  @SendTo('/topic/chat/{room}')
  send(line: z.infer<typeof ChatLine>, ctx: MessageContext): RoomMessage {
    const room = ctx.params.room;
    if (this.members.get(room)?.has(ctx.user!) !== true) throw new NotInRoomError(room);
    const message: RoomMessage = { room, from: ctx.user!, text: line.text, at: Date.now() };
    const kept = this.history.get(room) ?? [];
    kept.push(message);
    if (kept.length > HISTORY) kept.shift();
    this.history.set(room, kept);
    return message;
  }

  /** The room's recent lines, to the subscribing session only (`SUBSCRIBE /app/chat/<room>/history`). */
  @SubscribeMapping('/{room}/history')
  recent(ctx: MessageContext): RoomMessage[] {
    return this.history.get(ctx.params.room) ?? [];
  }

  /** A direct message to user `<to>` (all their sessions); the sender gets a confirmation. */
  @MessageMapping('/direct/{to}/send', { schema: DirectLine })
  @SendToUser('/queue/sent')
  async direct(line: z.infer<typeof DirectLine>, ctx: MessageContext): Promise<{ to: string; text: string }> {
    const to = ctx.params.to;
    await this.template.convertAndSendToUser(to, '/queue/direct', { from: ctx.user, text: line.text, at: Date.now() });
    return { to, text: line.text };
  }

  /** Writing to a room one has not joined: a reply to that session, not a generic error. */
  @MessageExceptionHandler(NotInRoomError)
  @SendToUser('/queue/errors', { broadcast: false })
  notInRoom(err: NotInRoomError): { code: string; room: string; message: string } {
    return { code: 'not-in-room', room: err.room, message: err.message };
  }
}
