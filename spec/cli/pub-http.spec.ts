import { closeClients, stompClient } from '../helpers/clients';
import { closeServers, startServer } from '../helpers/server';
import { buildCli, killCliProcesses, removeCli, runToExit } from './support';

const TOKEN = 'cli-publish-token';

beforeAll(() => {
  buildCli();
});
afterAll(() => removeCli());
afterEach(async () => {
  await killCliProcesses();
  await closeClients();
  await closeServers();
});

describe('stompbox pub --http', () => {
  it('POSTs the body, or each input line, to the HTTP publish endpoint with the token', async () => {
    const s = await startServer({ brokerPrefixes: ['/topic'], httpPublish: { token: TOKEN } });
    const client = await stompClient(s.http('/stomp'), 'websocket');
    const inbox = await client.subscribe('/topic/cli');
    expect(await runToExit(['pub', '--http', '--token', TOKEN, s.http('/publish'), '/topic/cli', '{"a":1}'])).toMatchObject({ code: 0 });
    expect(await runToExit(['pub', '--http', s.http('/publish'), '/topic/cli', '-'], { input: 'one\ntwo\n', env: { STOMPBOX_PUBLISH_TOKEN: TOKEN } })).toMatchObject({ code: 0 });
    const messages = await inbox.wait(3);
    expect(messages.map((m) => m.body)).toEqual(['{"a":1}', 'one', 'two']);
    expect(messages[0].headers['content-type']).toBe('application/json');
    expect(messages[1].headers['content-type']).toBe('text/plain;charset=UTF-8');
  });

  it('exits 5 with the server\'s answer when refused, and 2 for STOMP-only flags', async () => {
    const s = await startServer({ brokerPrefixes: ['/topic'], httpPublish: { token: TOKEN } });
    const refused = await runToExit(['pub', '--http', '--token', 'not-the-token', s.http('/publish'), '/topic/cli', 'x']);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('HTTP 401');
    const usage = await runToExit(['pub', '--http', '--login', 'me', s.http('/publish'), '/topic/cli', 'x']);
    expect(usage.code).toBe(2);
    expect((await runToExit(['pub', '--token', TOKEN, s.ws('/stomp'), '/topic/cli', 'x'])).code).toBe(2);
  });
});
