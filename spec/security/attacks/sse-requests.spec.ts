/**
 * SSE streams (docs/sse.md) attacked with raw HTTP: 2,000 `destination` parameters in one URL,
 * a query string near Node's 16 KiB header bound, and forged `Last-Event-ID`s (garbage, huge,
 * and well-formed base64url JSON naming thousands of positions, or offsets past the history).
 * The contract: every request gets an HTTP answer (200 with an event stream, or 4xx naming the
 * limit), nothing throws, and the bystander keeps working.
 */
import { connect } from 'node:net';
import { expectWithin, log, Measurement } from '../measure';
import { arena, pause } from './arena';

/** Sends one raw request; resolves with the first bytes the server answered (or '' when it only closed). */
function request(port: number, text: string, ms = 5000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let got = '';
    const done = (): void => {
      socket.destroy();
      resolve(got);
    };
    socket.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (got.includes('\r\n\r\n')) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(text);
    setTimeout(done, ms).unref();
  });
}

const get = (path: string, headers = ''): string => `GET ${path} HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n${headers}\r\n`;
const status = (answer: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);

describe('SSE requests under attack', () => {
  const grab = arena({ options: { sse: true, retention: [{ destinations: '/topic/**', messages: 100 }] } });

  it('many destinations, a huge query, and forged Last-Event-IDs are each answered, never thrown', async () => {
    const { broker, bystander } = grab();
    const port = broker.port;
    const m = await Measurement.begin('sse: destinations, query, Last-Event-ID', broker, bystander);
    const answers: Record<string, number> = {};
    const many = Array.from({ length: 2000 }, (_, i) => `destination=/topic/d${i}`).join('&');
    answers['~700 destinations in one URL'] = status(await request(port, get(`/sse?${many.slice(0, 15000)}`)));
    answers['query of 15 KB in one destination'] = status(await request(port, get(`/sse?destination=/topic/${'a'.repeat(15000)}`)));
    answers['query past 16 KiB'] = status(await request(port, get(`/sse?destination=/topic/${'a'.repeat(17000)}`)));
    const forged = (list: unknown): string => `x-1.${Buffer.from(JSON.stringify(list)).toString('base64url')}`;
    const cases: Record<string, string> = {
      'garbage Last-Event-ID': 'x-1.%%%%not-base64!!',
      'Last-Event-ID of 14 KB': `x-1.${'A'.repeat(14000)}`,
      'JSON that is not a list': forged({ a: 1 }),
      'nested lists': forged([[[[[[[[[[[]]]]]]]]]]]),
      '1,000 forged positions': forged(Array.from({ length: 1000 }, (_, i) => [`/topic/p${i}`, 0, 'e'])),
      'offset past the history': forged([['/topic/a', 999_999_999_999_999, 'epoch']]),
      'negative and fractional offsets': forged([['/topic/a', -5, 'e'], ['/topic/a', 1.5, 'e']]),
    };
    for (const [name, id] of Object.entries(cases)) answers[name] = status(await request(port, get('/sse?destination=/topic/a', `last-event-id: ${id}\r\n`)));
    answers['lastEventId in the query'] = status(await request(port, get(`/sse?destination=/topic/a&lastEventId=${encodeURIComponent(forged([['/topic/a', 0, 'e']]))}`)));
    await pause(200);
    const figures = await m.end();
    log(figures, Object.entries(answers).map(([k, v]) => `${k}: ${v}`).join(', '));
    expectWithin(figures, { rssPeakGrowthMB: 64 });
    for (const [name, code] of Object.entries(answers)) {
      expect([name, code >= 200 && code < 500]).toEqual([name, true]);
    }
  }, 60000);
});
