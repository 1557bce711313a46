/**
 * The broker's running totals as plain integers. Sessions and the server bump them on the hot
 * path (one property increment, no clock, no allocation); `/metrics` and `stats()` read them
 * when asked. Counting this way keeps the per-frame cost of metrics at zero whether or not
 * prom-client is loaded.
 */
export class Counters {
  /** Inbound frames by command (CONNECT, SEND, …). */
  readonly framesIn: Record<string, number> = Object.create(null);
  /** Outbound frames by command (CONNECTED, RECEIPT, ERROR; MESSAGE is `messagesDelivered`). */
  readonly framesOut: Record<string, number> = Object.create(null);
  /** Messages handed to the broker (client SENDs to broker destinations and the template). */
  messagesPublished = 0;
  /** MESSAGE frames written (or queued) to sessions. */
  messagesDelivered = 0;
  /** Deliveries dropped by the `drop-oldest` / `drop-newest` slow-consumer policies. */
  messagesDropped = 0;
  /** Send-buffer and send-time limit breaches (one per episode for the drop policies). */
  bufferBreaches = 0;
  timeBreaches = 0;
  /** Sessions refused at `maxFramesPerSecond`. */
  rateLimited = 0;
  /** Connections refused at `maxConnections` or during shutdown. */
  connectionsRefused = 0;
  /** Sessions ended because the client's heart-beats stopped. */
  heartbeatTimeouts = 0;
  /** Handler calls that threw or rejected. */
  handlerErrors = 0;
  /** Sessions opened since start, and ended by reason. */
  sessionsOpened = 0;
  readonly sessionsClosed: Record<string, number> = Object.create(null);

  frameIn(command: string): void {
    this.framesIn[command] = (this.framesIn[command] ?? 0) + 1;
  }

  frameOut(command: string): void {
    this.framesOut[command] = (this.framesOut[command] ?? 0) + 1;
  }

  closed(reason: string): void {
    this.sessionsClosed[reason] = (this.sessionsClosed[reason] ?? 0) + 1;
  }
}
