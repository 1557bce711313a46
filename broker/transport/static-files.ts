import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Endpoint } from './endpoint';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** The browser libraries served at `/lib/`, so pages never need a CDN. */
export const CLIENT_LIBRARIES: Readonly<Record<string, readonly [pkg: string, file: string]>> = {
  'sockjs.min.js': ['sockjs-client', 'dist/sockjs.min.js'],
  'sockjs.min.js.map': ['sockjs-client', 'dist/sockjs.min.js.map'],
  'stomp.umd.min.js': ['@stomp/stompjs', 'bundles/stomp.umd.min.js'],
  'stomp.umd.js': ['@stomp/stompjs', 'bundles/stomp.umd.js'],
  'stomp.min.js': ['stompjs', 'lib/stomp.min.js'],
};

/** Our own browser client (scripts/bundle-client.js), served at `/lib/` once `npm run build` made it. */
export const CLIENT_BUNDLE_FILES: readonly string[] = ['stompbox-client.js', 'stompbox-client.js.map', 'stompbox-client.mjs', 'stompbox-client.mjs.map'];

/** dist/client/browser, seen from dist/broker/transport (built) or broker/transport (source). */
function clientBundleDir(): string | undefined {
  for (const dir of [path.resolve(__dirname, '../../client/browser'), path.resolve(__dirname, '../../dist/client/browser')]) {
    if (existsSync(path.join(dir, 'stompbox-client.js'))) return dir;
  }
  return undefined;
}

/** A file inside an installed package, found from its entry point (exports maps hide subpaths). */
function packageFile(pkg: string, file: string): string | undefined {
  let dir: string;
  try {
    dir = path.dirname(require.resolve(pkg));
  } catch {
    return undefined; // optional library not installed (the legacy stompjs is a dev dependency)
  }
  for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && path.basename(dir) === pkg.split('/').pop()) {
      const full = path.join(dir, file);
      return existsSync(full) ? full : undefined;
    }
  }
  return undefined;
}

/**
 * Serves GET/HEAD requests for the client libraries and a directory of pages. Paths are
 * resolved inside their root only: `..` and encoded tricks cannot leave it, and neither can
 * symbolic links: a file is served only when its real path (every link resolved) lies inside
 * the root's real path, so a link to `/etc/passwd` or to a directory outside answers 404.
 * As an {@link Endpoint} it owns a request only when it names one of these files, so every other
 * path stays the application's; the lookup is synchronous because the router must know at once.
 */
export class StaticFiles implements Endpoint {
  readonly name = 'static';
  private readonly libraries = new Map<string, string>();
  /** The root's real path, resolved on first use (the directory may appear after startup). */
  private realRoot: string | undefined;

  constructor(
    private readonly root: string | undefined,
    serveLibraries: boolean,
  ) {
    if (!serveLibraries) return;
    for (const [name, [pkg, file]] of Object.entries(CLIENT_LIBRARIES)) {
      const full = packageFile(pkg, file);
      if (full !== undefined) this.libraries.set(`/lib/${name}`, full);
    }
    const bundle = clientBundleDir();
    if (bundle !== undefined) {
      for (const name of CLIENT_BUNDLE_FILES) if (existsSync(path.join(bundle, name))) this.libraries.set(`/lib/${name}`, path.join(bundle, name));
    }
  }

  /** Whether there is anything to serve at all (no libraries and no root: the router can skip us). */
  get empty(): boolean {
    return this.libraries.size === 0 && this.root === undefined;
  }

  owns(pathname: string): boolean {
    return this.locate(pathname) !== undefined;
  }

  ownsRequest(req: IncomingMessage): boolean {
    return (req.method === 'GET' || req.method === 'HEAD') && this.locate(req.url ?? '/') !== undefined;
  }

  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const file = this.locate(req.url ?? '/');
    if (file === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).on('error', () => res.destroy()).pipe(res);
  }

  close(): void {}

  /** Serves the request if it names one of our files; false when it does not. */
  async serve(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (!this.ownsRequest(req)) return false;
    this.handleRequest(req, res);
    return true;
  }

  /** The file a request URL names (a library or a file inside the root), or undefined. */
  private locate(url: string): string | undefined {
    const pathname = decodePath(url);
    if (pathname === undefined) return undefined;
    return this.libraries.get(pathname) ?? this.inRoot(pathname);
  }

  /** The real path of the file `pathname` names inside the root, or undefined (outside, missing, not a file). */
  private inRoot(pathname: string): string | undefined {
    if (this.root === undefined) return undefined;
    const root = path.resolve(this.root);
    const file = path.resolve(root, `.${pathname === '/' ? '/index.html' : pathname}`);
    if (!isInside(file, root)) return undefined;
    try {
      this.realRoot ??= realpathSync(root);
      // The path as the file system resolves it: a link anywhere on the way may point outside.
      const real = realpathSync(file);
      if (!isInside(real, this.realRoot)) return undefined;
      return statSync(real).isFile() ? real : undefined;
    } catch {
      return undefined;
    }
  }
}

/** True when `file` is `root` or below it (both absolute and normalized). */
function isInside(file: string, root: string): boolean {
  return file === root || file.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function decodePath(url: string): string | undefined {
  try {
    const pathname = decodeURIComponent(new URL(url, 'http://localhost').pathname);
    return pathname.includes('\0') ? undefined : pathname;
  } catch {
    return undefined;
  }
}
