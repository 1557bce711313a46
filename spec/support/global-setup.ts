/**
 * jest globalSetup: says what `npm test` needs and what this machine has, before any test,
 * and opens the run's skip log (see skips.ts).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkRequirements } from './requirements';
import { SKIP_LOG_ENV } from './skips';

export default function globalSetup(): void {
  const log = path.join(os.tmpdir(), `stompbox-skips-${process.pid}-${Date.now()}.jsonl`);
  writeFileSync(log, '');
  process.env[SKIP_LOG_ENV] = log;
  const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== '0' && process.env.CI.toLowerCase() !== 'false';
  const lines = checkRequirements().map(({ requirement, ok, detail }) =>
    `  ${ok ? 'ok     ' : 'MISSING'} ${requirement.name}: ${detail}${ok ? '' : `\n          needed by ${requirement.neededBy}; ${requirement.hint}`}`,
  );
  process.stdout.write(
    `\nnpm test needs, besides npm ci (${ci ? 'CI: a missing one fails its specs' : 'not CI: a missing one skips its specs, with the reason'}):\n${lines.join('\n')}\n\n`,
  );
}
