import { startFloor } from './floor-broker';
import { announce, requestedPort } from './peer-host';

/** The floor with corked writes batched per socket per event-loop turn. */
startFloor(requestedPort(), { corked: true }).then(
  (port) => announce('floor-corked', port),
  (err: unknown) => {
    process.stderr.write(`floor-corked: ${String(err)}\n`);
    process.exit(1);
  },
);
