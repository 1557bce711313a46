import { StompServer, type Logger, type Principal, type StompServerOptions } from '../../broker';
import { ChatController } from './chat-controller';

/** Settings of the chat example. */
export interface ChatAppOptions {
  /** Who may connect: user name → token. @defaultValue `{ ann: 'ann-token', bob: 'bob-token' }` */
  users?: Readonly<Record<string, string>>;
  /** Browser origins allowed besides our own. @defaultValue `[]` */
  allowedOrigins?: string[];
  /** SockJS settings (tests shorten the disconnect delay). @defaultValue the server's defaults */
  sockjs?: StompServerOptions['sockjs'];
  logger?: Logger;
}

/**
 * The authenticated chat example: SockJS endpoint `/chat` (plus plain WebSocket), Spring's
 * layout with an application prefix (`/app`) and broker prefixes `/topic` and `/queue`.
 * A client proves who it is with its token: CONNECT `login` + `passcode`, or an
 * `Authorization: Bearer` header or `?token=` on the handshake. Only members read rooms, only
 * handlers write to the broker, and user queues are private.
 */
export function createChatApp(opts: ChatAppOptions = {}): StompServer {
  const users = opts.users ?? { ann: 'ann-token', bob: 'bob-token' };
  const byToken = new Map(Object.entries(users).map(([name, token]) => [token, name]));
  const server = new StompServer({
    endpoints: ['/chat'],
    brokerPrefixes: ['/topic', '/queue'],
    applicationPrefixes: ['/app'],
    allowClientSendToBroker: false,
    allowedOrigins: opts.allowedOrigins,
    sockjs: opts.sockjs,
    logger: opts.logger,
    authenticate: ({ request, connectHeaders }): Principal | false => {
      const login = connectHeaders.get('login');
      if (login !== undefined && users[login] !== undefined && connectHeaders.get('passcode') === users[login]) return login;
      const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
      return byToken.get(bearer ?? request.query.token ?? '') ?? false;
    },
    authorization: {
      rules: [
        { destination: '/app/chat/**', commands: ['SEND', 'SUBSCRIBE'], access: 'authenticated' },
        { destination: '/topic/chat/**', commands: ['SUBSCRIBE'], access: 'authenticated' },
        { destination: '/user/queue/**', commands: ['SUBSCRIBE'], access: 'authenticated' },
      ],
      otherwise: 'none',
    },
  });
  server.register(new ChatController(server.template));
  return server;
}
