/**
 * `staticDir` serves files inside its root only, symbolic links included: a link is followed
 * only when its target's real path lies inside the root's real path.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { closeServers, startServer, type Running } from '../helpers/server';

let base: string;

beforeAll(() => {
  // base/outside/secret.txt           a file outside the root
  // base/pages/                        the root
  //   index.html, sub/page.html        files inside
  //   passwd -> /etc/passwd            a link to a file outside
  //   etc -> /etc                      a link to a directory outside
  //   out -> ../outside                a relative link out of the root
  //   alias.html -> index.html         a link that stays inside
  //   subdir -> sub                    a directory link that stays inside
  // base/link-to-pages -> pages        a root that is itself a link
  base = mkdtempSync(path.join(tmpdir(), 'stompbox-static-'));
  const pages = path.join(base, 'pages');
  mkdirSync(path.join(pages, 'sub'), { recursive: true });
  mkdirSync(path.join(base, 'outside'));
  writeFileSync(path.join(base, 'outside', 'secret.txt'), 'secret');
  writeFileSync(path.join(pages, 'index.html'), '<p>home</p>');
  writeFileSync(path.join(pages, 'sub', 'page.html'), '<p>sub</p>');
  symlinkSync('/etc/passwd', path.join(pages, 'passwd'));
  symlinkSync('/etc', path.join(pages, 'etc'));
  symlinkSync('../outside', path.join(pages, 'out'));
  symlinkSync('index.html', path.join(pages, 'alias.html'));
  symlinkSync('sub', path.join(pages, 'subdir'));
  symlinkSync(pages, path.join(base, 'link-to-pages'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));
afterEach(() => closeServers());

async function get(running: Running, url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(running.http(url));
  return { status: res.status, body: await res.text() };
}

describe.each([
  ['a plain directory', 'pages'],
  ['a root that is a symbolic link', 'link-to-pages'],
])('staticDir as %s', (_name, dir) => {
  let running: Running;
  beforeEach(async () => {
    running = await startServer({ staticDir: path.join(base, dir) });
  });

  it('serves files inside the root, through links that stay inside', async () => {
    expect(await get(running, '/')).toEqual({ status: 200, body: '<p>home</p>' });
    expect(await get(running, '/sub/page.html')).toEqual({ status: 200, body: '<p>sub</p>' });
    expect(await get(running, '/alias.html')).toEqual({ status: 200, body: '<p>home</p>' });
    expect(await get(running, '/subdir/page.html')).toEqual({ status: 200, body: '<p>sub</p>' });
  });

  it('answers 404 for a link to /etc/passwd', async () => {
    expect(existsSync('/etc/passwd')).toBe(true);
    const res = await get(running, '/passwd');
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('root:');
  });

  it('answers 404 for files under a link to a directory outside', async () => {
    expect((await get(running, '/etc/passwd')).status).toBe(404);
    expect((await get(running, '/etc/hostname')).status).toBe(404);
    const res = await get(running, '/out/secret.txt');
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('secret');
  });

  it('still refuses .. and encoded escapes', async () => {
    expect((await get(running, '/..%2foutside%2fsecret.txt')).status).toBe(404);
    expect((await get(running, '/%2e%2e/outside/secret.txt')).status).toBe(404);
  });
});
