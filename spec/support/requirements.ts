/**
 * What `npm test` needs besides `npm ci`, each with a probe. Without one, the specs that need
 * it skip with the reason printed outside CI, and fail under CI (env CI set), where
 * `bash .ci/run` installs and starts all of them.
 */
import { spawnSync } from 'node:child_process';
import { findChromium } from '../helpers/browser';

/** One requirement and how it stands on this machine. */
export interface Requirement {
  readonly name: string;
  /** Which specs need it. */
  readonly neededBy: string;
  /** How to get it. */
  readonly hint: string;
  probe(): { ok: boolean; detail: string };
}

const TCP_PROBE = `
const s = require('net').connect(Number(process.argv[1]), '127.0.0.1');
s.setTimeout(1000);
s.on('connect', () => { s.destroy(); process.exit(0); });
s.on('error', () => process.exit(1));
s.on('timeout', () => process.exit(1));`;

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
export function listening(port: number): boolean {
  return spawnSync(process.execPath, ['-e', TCP_PROBE, String(port)], { timeout: 3000 }).status === 0;
}

/** True when `command` can be run. */
export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/** Debian's Python, where python3-stomp installs (a pyenv or venv python3 on PATH may lack it). */
export const PYTHON = spawnSync('/usr/bin/python3', ['-c', '1']).status === 0 ? '/usr/bin/python3' : 'python3';

/** stomp.py importable by {@link PYTHON}. */
export function hasPythonStomp(): { ok: boolean; detail: string } {
  const r = spawnSync(PYTHON, ['-c', 'import stomp; print(".".join(map(str, stomp.__version__)))'], { timeout: 10_000 });
  return r.status === 0 ? { ok: true, detail: `stomp.py ${r.stdout.toString().trim()} (${PYTHON})` } : { ok: false, detail: `${PYTHON} cannot import stomp` };
}

/** The stomp gem loadable by ruby. */
export function hasRubyStomp(): { ok: boolean; detail: string } {
  const r = spawnSync('ruby', ['-e', 'require "stomp"; print Stomp::Version::STRING'], { timeout: 10_000 });
  return r.status === 0 ? { ok: true, detail: `stomp gem ${r.stdout.toString().trim()}` } : { ok: false, detail: 'ruby cannot require "stomp"' };
}

export const REQUIREMENTS: readonly Requirement[] = [
  {
    name: 'Redis on 127.0.0.1:6379',
    neededBy: 'spec/cluster/redis-broker.spec.ts, spec/docs/snippets.spec.ts (the docs programs using RedisBroker)',
    hint: 'apt-get install redis-server, then start it',
    probe: () => ({ ok: listening(6379), detail: listening(6379) ? 'listening' : 'nothing listens' }),
  },
  {
    name: 'redis-server on PATH (throwaway instances)',
    neededBy: 'the Redis restart spec in spec/cluster/redis-broker.spec.ts',
    hint: 'apt-get install redis-server',
    probe: () => ({ ok: hasCommand('redis-server'), detail: hasCommand('redis-server') ? 'found' : 'not found' }),
  },
  {
    name: 'RabbitMQ with its STOMP plugin on 127.0.0.1:61613',
    neededBy: 'spec/cluster/broker-relay.spec.ts, spec/docs/snippets.spec.ts (the relay program)',
    hint: 'apt-get install rabbitmq-server; rabbitmq-plugins enable rabbitmq_stomp',
    probe: () => ({ ok: listening(61613), detail: listening(61613) ? 'listening' : 'nothing listens' }),
  },
  {
    name: 'Chromium',
    neededBy: 'spec/e2e/pages*.spec.ts, spec/client/browser.spec.ts, spec/package/pack.spec.ts (bundles in a browser), spec/docs/snippets.spec.ts (the tutorial page)',
    hint: 'apt-get install chromium, or set CHROMIUM_PATH',
    probe: () => {
      const found = findChromium();
      return found.path !== undefined ? { ok: true, detail: found.path } : { ok: false, detail: found.reason };
    },
  },
  {
    name: "Debian's python3-stomp (stomp.py)",
    neededBy: 'spec/e2e/tcp-clients.spec.ts, spec/queues/stomp-py.spec.ts',
    hint: 'apt-get install python3-stomp',
    probe: hasPythonStomp,
  },
  {
    name: "Debian's ruby-stomp",
    neededBy: 'spec/e2e/tcp-clients.spec.ts',
    hint: 'apt-get install ruby-stomp',
    probe: hasRubyStomp,
  },
  {
    name: 'the npm registry',
    neededBy: 'spec/package/pack.spec.ts (installs the tarball and its dependencies)',
    hint: 'network access to the registry npm is configured with',
    probe: () => {
      const ping = spawnSync('npm', ['ping', '--loglevel=error'], { timeout: 20_000 });
      return ping.status === 0 ? { ok: true, detail: 'reachable' } : { ok: false, detail: 'npm ping failed' };
    },
  },
];

/** The probe results, in order. */
export function checkRequirements(): { requirement: Requirement; ok: boolean; detail: string }[] {
  return REQUIREMENTS.map((requirement) => ({ requirement, ...requirement.probe() }));
}
