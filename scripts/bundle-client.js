#!/usr/bin/env node
/**
 * Bundles the client for browsers with esbuild: an ES module (dist/client/browser/
 * stompbox-client.mjs) and a classic script that defines the global `stompbox`
 * (dist/client/browser/stompbox-client.js). sockjs-client is bundled in; the Node-only
 * WebSocket factory (client/node-websocket.ts, which loads `ws`) is swapped for a browser
 * stub. The broker serves both files at /lib/ once they exist (`npm run build`).
 *
 * Usage: node scripts/bundle-client.js [outdir]
 */
'use strict';
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
  () => process.stdout.write(`client bundles written to ${path.relative(process.cwd(), outdir) || '.'}\n`),
  (err) => {
    process.stderr.write(`bundle-client: ${err.message}\n`);
    process.exit(1);
  },
);
