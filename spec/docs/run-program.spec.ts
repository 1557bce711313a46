import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { missingOutput, runProgram } from './run-program';

let dir: string;
const program = (name: string, code: string): string => {
  writeFileSync(path.join(dir, name), code);
  return name;
};
const SERVER = `
  const http = require('node:http');
  const server = http.createServer((req, res) => res.end('ok')).listen(0, () => console.log('listening on http://127.0.0.1:' + server.address().port));
  process.on('SIGTERM', () => server.close(() => process.exit(STOP_CODE)));`;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stompbox-run-program-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runProgram', () => {
  it('reports a program that exits by itself with its code and output', async () => {
    const run = await runProgram(dir, program('done.cjs', 'console.log("done"); process.exitCode = 3;'), '.', process.env);
    expect({ code: run.code, output: run.output, failure: run.failure, served: run.served }).toEqual({ code: 3, output: 'done\n', failure: undefined, served: undefined });
  });

  it('requests a server at the address it prints, then stops it with SIGTERM', async () => {
    const run = await runProgram(dir, program('server.cjs', SERVER.replace('STOP_CODE', '0')), '.', process.env);
    expect({ code: run.code, status: run.served?.status, failure: run.failure }).toEqual({ code: 0, status: 200, failure: undefined });
  });

  it('reports a server that does not exit on SIGTERM within the bound', async () => {
    const stubborn = SERVER.replace("process.on('SIGTERM', () => server.close(() => process.exit(STOP_CODE)));", "process.on('SIGTERM', () => undefined);");
    const run = await runProgram(dir, program('stubborn.cjs', stubborn), '.', process.env, { run: 5000, stop: 300 });
    expect({ signal: run.signal, failure: run.failure }).toEqual({ signal: 'SIGKILL', failure: 'did not exit within 300 ms of SIGTERM' });
  });

  it('kills a program that neither exits nor says it listens, and says why', async () => {
    const run = await runProgram(dir, program('hang.cjs', 'setInterval(() => undefined, 1000);'), '.', process.env, { run: 300, stop: 300 });
    expect({ signal: run.signal, failure: run.failure }).toEqual({ signal: 'SIGKILL', failure: 'neither exited nor printed "listening on http://…" within 300 ms' });
  });
});

describe('missingOutput', () => {
  it('finds every expected line in order, ignoring blank lines and trailing spaces', () => {
    expect(missingOutput('a  \n\nc\n', 'a\nb\nc\n')).toEqual([]);
  });

  it('lists the lines that are absent or out of order', () => {
    expect(missingOutput('c\na\nd', 'a\nb\nc\n')).toEqual(['a', 'd']);
  });
});
