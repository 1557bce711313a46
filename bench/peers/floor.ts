import { runFloor } from './floor-broker';

/** The floor: a bare `ws` server writing one pre-encoded MESSAGE to every subscriber with `ws.send`. */
runFloor('floor', 'send');
