import { connect, createServer, type Server, type Socket } from 'node:net';

/** Bytes one side of a proxied connection wrote while the proxy was frozen, and when. */
export interface HeldChunk {
  readonly at: number;
  readonly data: Buffer;
}

/** One connection through the proxy: the client side (the relay) and the target side (RabbitMQ). */
export interface ProxiedLink {
  readonly client: Socket;
  readonly target: Socket;
  /** When the proxy last passed bytes from the target to the client (Date.now()). */
  lastDown: number;
  /** What the client wrote while frozen (not passed on until thawed). */
  readonly heldUp: HeldChunk[];
  /** What the target wrote while frozen. */
  readonly heldDown: HeldChunk[];
}

/**
 * A TCP pass-through to 127.0.0.1:`target` that a spec can freeze: it stops passing bytes
 * either way while every socket stays open, as a broker whose process stopped (SIGSTOP) or a
 * link that silently drops traffic. What either side writes meanwhile is read and kept (a
 * peer's kernel still takes bytes into its buffers), with its arrival time, and passed on when
 * thawed.
 */
export class FrozenProxy {
  readonly links: ProxiedLink[] = [];
  frozen = false;
  /** When `freeze()` was last called. */
  frozenAt = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static start(target: number): Promise<FrozenProxy> {
    return new Promise((resolve) => {
      let proxy: FrozenProxy | undefined;
      const server = createServer((client) => proxy?.open(client, target));
      server.listen(0, '127.0.0.1', () => {
        proxy = new FrozenProxy(server, (server.address() as { port: number }).port);
        resolve(proxy);
      });
    });
  }

  freeze(): void {
    this.frozen = true;
    this.frozenAt = Date.now();
  }

  /** Passes on what was held, in order, and forwards again. */
  thaw(): void {
    this.frozen = false;
    for (const link of this.links) {
      for (const c of link.heldUp.splice(0)) link.target.write(c.data);
      for (const c of link.heldDown.splice(0)) link.client.write(c.data);
      link.lastDown = Date.now();
    }
  }

  async close(): Promise<void> {
    for (const link of this.links) {
      link.client.destroy();
      link.target.destroy();
    }
    await new Promise((resolve) => this.server.close(resolve));
  }

  private open(client: Socket, target: number): void {
    const link: ProxiedLink = { client, target: connect(target, '127.0.0.1'), lastDown: Date.now(), heldUp: [], heldDown: [] };
    this.links.push(link);
    for (const s of [link.client, link.target]) {
      s.on('error', () => undefined);
      s.on('close', () => {
        link.client.destroy();
        link.target.destroy();
      });
    }
    client.on('data', (data: Buffer) => {
      if (this.frozen) link.heldUp.push({ at: Date.now(), data });
      else link.target.write(data);
    });
    link.target.on('data', (data: Buffer) => {
      if (this.frozen) link.heldDown.push({ at: Date.now(), data });
      else {
        link.lastDown = Date.now();
        link.client.write(data);
      }
    });
  }
}
