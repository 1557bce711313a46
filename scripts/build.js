#!/usr/bin/env node
/**
 * The package build, run by `npm run build` and by npm's `prepare` (so `npm pack`, `npm
 * publish` and a git dependency all get it): removes what an earlier build left, compiles the
 * TypeScript (tsconfig.build.json: JavaScript and declarations, no source maps, since the
 * package does not ship the .ts files they would name), bundles the browser client, and
 * copies the reference app's pages next to its compiled code so `stompbox serve --demo` finds
 * them in an installed package.
 *
 * Usage: node scripts/build.js
 */
'use strict';
const { execFileSync } = require('node:child_process');
const { cpSync, rmSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');

// Only the folders this build writes: dist/bench (npm run bench) and others stay.
for (const dir of ['broker', 'client', 'cli', 'nest', 'examples']) rmSync(path.join(dist, dir), { recursive: true, force: true });

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
execFileSync(process.execPath, [path.join(__dirname, 'bundle-client.js')], { cwd: root, stdio: 'inherit' });
cpSync(path.join(root, 'examples/reference/public'), path.join(dist, 'examples/reference/public'), { recursive: true });
process.stdout.write('build: dist/ ready\n');
