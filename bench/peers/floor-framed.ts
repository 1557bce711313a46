import { runFloor } from './floor-broker';

/** The floor writing each socket's frames of a turn in one buffer, framed as stompbox frames them. */
runFloor('floor-framed', 'framed');
