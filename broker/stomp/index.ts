/** The wire protocol: no Node, socket or transport dependencies. */
export * from './frame';
export * from './versions';
export { escapeHeader, unescapeHeader } from './headers';
export { FrameDecoder, type DecoderLimits } from './decoder';
export { encodeFrame, encodeMessage, encodeMessageFrame, encodeMessageTail, messageTailHead, HEARTBEAT, type HeaderEntries, type MessageTailFields } from './encoder';
