import { runFloor } from './floor-broker';

/** The floor with corked writes batched per socket per event-loop turn. */
runFloor('floor-corked', 'corked');
