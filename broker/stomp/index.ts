/** The wire protocol: no Node, socket or transport dependencies. */
export * from './frame';
export * from './versions';
export { negotiateHeartBeat, parseHeartBeat, SYSTEM_CLOCK, type Clock, type HeartBeat, type HeartBeatIntervals } from './heartbeat';
export { escapeHeader, unescapeHeader } from './headers';
export { FrameDecoder, type DecoderLimits } from './decoder';
export { encodeFrame, encodeMessage, encodeMessageFrame, encodeMessageTail, messageTailHead, HEARTBEAT, type HeaderEntries, type MessageTailFields } from './encoder';
