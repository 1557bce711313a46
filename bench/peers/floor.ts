import { startFloor } from './floor-broker';
import { announce, requestedPort } from './peer-host';

/** The floor: a bare `ws` server writing one pre-encoded MESSAGE to every subscriber. */
startFloor(requestedPort(), { corked: false }).then(
  (port) => announce('floor', port),
  (err: unknown) => {
    process.stderr.write(`floor: ${String(err)}\n`);
    process.exit(1);
  },
);
