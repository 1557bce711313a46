#!/usr/bin/env node
/**
 * Bundles the client for browsers with esbuild: an ES module (dist/client/browser/
 * stompbox-client.mjs) and a classic script that defines the global `stompbox`
 * (dist/client/browser/stompbox-client.js). sockjs-client is bundled in; the Node-only
 * WebSocket factory (client/node-websocket.ts, which loads `ws`) is swapped for a browser
 * stub. The broker serves both files at /lib/ once they exist (`npm run build`). The package
 * exports them as `stompbox/client/browser.mjs` and `stompbox/client/browser.js`, and the ES
 * module is also what `stompbox/client` resolves to under the `browser` condition, so a user's
 * own bundler (Vite, esbuild, webpack) never sees sockjs-client's Node-style `global` or `ws`.
 * The source maps carry their sources (sourcesContent), so they name no file the package lacks.
 *
 * Usage: node scripts/bundle-client.js [outdir]
 */
'use strict';
const { mkdirSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const outdir = path.resolve(process.argv[2] ?? path.join(root, 'dist/client/browser'));

/** Browsers always have WebSocket: never bundle `ws`. */
const browserWebSocket = {
  name: 'browser-websocket',
  setup(build) {
    build.onResolve({ filter: /\/node-websocket$/ }, () => ({ path: path.join(root, 'client/browser-websocket.ts') }));
  },
};

const common = {
  entryPoints: [path.join(root, 'client/index.ts')],
  bundle: true,
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  sourcemap: true,
  define: { global: 'globalThis' }, // sockjs-client reads `global`
  plugins: [browserWebSocket],
  logLevel: 'warning',
  legalComments: 'linked',
};

Promise.all([
  esbuild.build({ ...common, format: 'esm', outfile: path.join(outdir, 'stompbox-client.mjs') }),
  esbuild.build({ ...common, format: 'iife', globalName: 'stompbox', outfile: path.join(outdir, 'stompbox-client.js') }),
]).then(
  () => {
    // Types of the ES module subpath: the same API as stompbox/client.
    mkdirSync(outdir, { recursive: true });
    writeFileSync(path.join(outdir, 'stompbox-client.d.mts'), "export * from '../index.js';\n");
  },
).then(
  () => process.stdout.write(`client bundles written to ${path.relative(process.cwd(), outdir) || '.'}\n`),
  (err) => {
    process.stderr.write(`bundle-client: ${err.message}\n`);
    process.exit(1);
  },
);
