/**
 * The framed transports SPDM messages travel on: DSP0287 and length16 framing, a streaming
 * deframer, FramedConnection over TCP or any Duplex, an in-memory pair, the spdm-emu socket
 * protocol (EmuConnection, connectEmu, listenEmu), the per-transport secured-message
 * parameters, and the exchange / serve drivers. Import from `@trust-quorum/spdm/transport/index`.
 */

export {
  DEFAULT_MAX_QUEUED_FRAMES,
  FramedConnection,
  type FramedConnectionInit,
  formatAddress,
  type ReceiveOptions,
  type SendOptions,
  type TransportConnection,
  type TransportFraming,
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
  EmuConnection,
  type EmuConnectionInit,
  type EmuControlOptions,
  type EmuEndCommand,
  type EmuRole,
  validateEmuInit,
} from './emu-connection.js';
export {
  checkMaxPayloadSize,
  decodeEmuPacket,
  decodeEmuPayload,
  EMU_CLIENT_HELLO,
  EMU_COMMAND,
  EMU_DEFAULT_PORT,
  EMU_HEADER_SIZE,
  EMU_SERVER_HELLO,
  EMU_TCP_PORT,
  EMU_TRANSPORT_CODE,
  EMU_TRANSPORT_TYPE,
  EmuDeframer,
  type EmuDeframerInit,
  type EmuPacket,
  type EmuTransport,
  emuCommandName,
  emuDefaultPort,
  emuTransportName,
  encodeEmuPacket,
  encodeEmuPayload,
  MCTP_MESSAGE_TYPE,
} from './emu-framing.js';
export {
  type ConnectEmuInit,
  connectEmu,
  type EmuServerHandle,
  type ListenEmuInit,
  listenEmu,
} from './emu-socket.js';
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
  type InnerMessage,
  MCTP_SECURED_PARAMS,
  type SecuredMessageParams,
  type SecuredTransportKind,
  securedMessageParams,
  securedParamsOf,
  TCP_SECURED_PARAMS,
  type TransportKind,
} from './secured-params.js';
export {
  type ConnectTcpInit,
  connectTcp,
  type ListenTcpInit,
  listenTcp,
  type TcpServerHandle,
} from './tcp.js';
