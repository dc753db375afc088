/**
 * The framed transports SPDM messages travel on: DSP0287 and length16 framing, a streaming
 * deframer, FramedConnection over TCP or any Duplex, an in-memory pair, and the exchange /
 * serve drivers. Import from `@trust-quorum/spdm/transport/index`.
 */

export {
  DEFAULT_MAX_QUEUED_FRAMES,
  FramedConnection,
  type FramedConnectionInit,
  formatAddress,
  type ReceiveOptions,
  type SendOptions,
  type TransportConnection,
  validateInit,
} from './connection.js';
export { DEFAULT_TIMEOUT_MS } from './deadline.js';
export {
  DSP0287_BINDING_VERSION,
  DSP0287_HEADER_SIZE,
  encodeControlFrame,
  SPDM_TCP_PORT,
  TCP_MESSAGE_TYPE,
} from './dsp0287.js';
export {
  DEFAULT_IDLE_TIMEOUT_MS,
  type ExchangeFn,
  type ExchangeOptions,
  exchange,
  exchangeOver,
  type FrameHandler,
  type ServeInit,
  type ServeOutcome,
  type ServeReply,
  serveConnection,
} from './exchange.js';
export {
  type BindingErrorFrame,
  bindingErrorName,
  bindingErrorToSpdmError,
  type DataFrame,
  type DataFrameType,
  describeFrame,
  type Frame,
  type FrameType,
  type Framing,
  isDataFrame,
  type RoleInquiryFrame,
} from './frame.js';
export {
  checkMaxFrameSize,
  DEFAULT_MAX_PAYLOAD_SIZE,
  Deframer,
  type DeframerInit,
  defaultMaxFrameSize,
  encodeAnyFrame,
  encodeFrame,
  framingRules,
  headerSize,
  type PartialFrame,
} from './framing.js';
export { LENGTH16_HEADER_SIZE } from './length16.js';
export { type MemoryPairInit, memoryConnectionPair, memoryDuplexPair } from './memory.js';
export {
  type ConnectTcpInit,
  connectTcp,
  type ListenTcpInit,
  listenTcp,
  type TcpServerHandle,
} from './tcp.js';
