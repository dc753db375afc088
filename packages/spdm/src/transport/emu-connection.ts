/**
 * EmuConnection: a TransportConnection over the spdm-emu socket protocol (emu-framing.ts), in
 * either role, so that the same requester and responder code talks to spdm_responder_emu or is
 * driven by spdm_requester_emu / the responder validator.
 *
 * SPDM frames travel as NORMAL packets (one request, one response). The rest of the protocol is
 * handled here, after spdm-emu's `spdm_responder_emu.c` and `spdm_requester_emu.c`:
 *   client  hello(): TEST "Client Hello!\0" -> TEST "Server Hello!\0"; end(): SHUTDOWN (or
 *           CONTINUE) with an empty payload, wait for the echo, close the socket.
 *   server  answers TEST with "Server Hello!\0" (whatever the client's payload; spdm-emu does not
 *           check it, and spdm_requester_emu sends no TEST at all on NONE); echoes SHUTDOWN and
 *           CONTINUE with an empty payload and then ends the connection (`endedBy` says which:
 *           spdm_responder_emu stops serving after SHUTDOWN and accepts the next connection
 *           after CONTINUE); echoes OOB_ENCAP_* when an `onOobCommand` hook is given; answers any
 *           other command with UNKNOWN.
 *
 * Lifecycle, deadlines and read flow control are shared with FramedConnection (StreamConnection,
 * stream-connection.ts): the
 * first error kills the connection, a receive or send that times out kills it too, a clean peer
 * close between packets still delivers what was queued, and once `maxQueuedFrames` frames wait
 * unread the socket is no longer read (backpressure, inbox.ts) until receive() takes some; control
 * packets behind them wait too, in order. Sockets get TCP_NODELAY (spdm-emu never sets
 * it, so its own round trips stall on delayed ACKs; ours must not).
 */
import type { Duplex } from 'node:stream';
import { SpdmError } from '../errors.js';
import type { SendOptions, TransportConnection } from './connection.js';
import { abortError, checkTimeout, guard } from './deadline.js';
import {
  checkMaxPayloadSize,
  decodeEmuPayload,
  EMU_CLIENT_HELLO,
  EMU_COMMAND,
  EMU_HEADER_SIZE,
  EMU_SERVER_HELLO,
  EMU_TRANSPORT_CODE,
  EmuDeframer,
  type EmuPacket,
  type EmuTransport,
  emuCommandName,
  encodeEmuPacket,
  encodeEmuPayload,
} from './emu-framing.js';
import type { Frame } from './frame.js';
import { type SecuredMessageParams, securedMessageParams } from './secured-params.js';
import { StreamConnection, validateStreamInit } from './stream-connection.js';

export type EmuRole = 'client' | 'server';
/** How a client ends a connection: SHUTDOWN (responder stops) or CONTINUE (keeps its state). */
export type EmuEndCommand = 'shutdown' | 'continue';

/** Options of an EmuConnection (and of connectEmu / listenEmu, which extend them). */
export interface EmuConnectionInit {
  /** The transport both ends must use (the TransportType of every packet). */
  transport: EmuTransport;
  /** Largest PayloadSize accepted or sent, checked before allocating; default 64 KiB. */
  maxPayloadSize?: number;
  /** Default deadline of send(), in ms; default 5000. */
  sendTimeoutMs?: number;
  /** Default deadline of receive(), in ms; default 5000. */
  receiveTimeoutMs?: number;
  /** Deadline of end()'s echo and of close() before the socket is destroyed; default 5000. */
  closeTimeoutMs?: number;
  /**
   * High-water mark of the receive queue: with this many frames unread, reading pauses until
   * receive() takes the queue down to half of it (as FramedConnection). Default 32.
   */
  maxQueuedFrames?: number;
  /** Label for remoteAddress when the stream is not a net.Socket. */
  remoteAddress?: string;
  /** Server role: told when the client ends the connection with SHUTDOWN or CONTINUE. */
  onPeerEnd?: (command: EmuEndCommand, conn: EmuConnection) => void;
  /**
   * Server role: told about OOB_ENCAP_KEY_UPDATE / OOB_ENCAP_ENDPOINT_INFO (payload: optional
   * 4-byte session ID); the command is then echoed as spdm_responder_emu does. Without a hook
   * these commands are answered with UNKNOWN.
   */
  onOobCommand?: (command: number, payload: Uint8Array, conn: EmuConnection) => void;
}

/** Options of hello() and end(). */
export interface EmuControlOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

const TRANSPORTS: readonly EmuTransport[] = ['none', 'mctp', 'tcp'];
const EMPTY = new Uint8Array(0);

/**
 * Checks every option of an EmuConnectionInit without opening anything.
 * @throws TypeError for an unknown transport; RangeError for a bad number.
 */
export function validateEmuInit(init: EmuConnectionInit): void {
  if (!TRANSPORTS.includes(init.transport)) {
    throw new TypeError(`transport must be one of ${TRANSPORTS.join(', ')}, got ${String(init.transport)}`);
  }
  checkMaxPayloadSize(init.maxPayloadSize);
  validateStreamInit(init);
}

interface ControlWaiter {
  readonly command: number;
  resolve(p: EmuPacket): void;
  reject(e: SpdmError): void;
}

/** A TransportConnection over the spdm-emu socket protocol; see the module comment. */
export class EmuConnection extends StreamConnection implements TransportConnection {
  readonly framing = 'spdm-emu' as const;
  readonly transport: EmuTransport;
  readonly role: EmuRole;
  readonly maxPayloadSize: number;
  /** MCTP / TCP: libspdm's parameters for that transport; NONE: null (no secured messages). */
  readonly securedMessages: SecuredMessageParams | null;
  private readonly init: EmuConnectionInit;
  private readonly deframer: EmuDeframer;
  private readonly transportType: number;
  private control: ControlWaiter | undefined;
  private ended: EmuEndCommand | undefined;

  /** @throws RangeError / TypeError for bad options. */
  constructor(stream: Duplex, role: EmuRole, init: EmuConnectionInit) {
    validateEmuInit(init);
    if (role !== 'client' && role !== 'server') throw new TypeError(`role must be client or server`);
    const maxPayloadSize = checkMaxPayloadSize(init.maxPayloadSize);
    super(stream, init, EMU_HEADER_SIZE + maxPayloadSize);
    this.init = init;
    this.role = role;
    this.transport = init.transport;
    this.transportType = EMU_TRANSPORT_CODE[init.transport];
    this.maxPayloadSize = maxPayloadSize;
    this.securedMessages = securedMessageParams(init.transport);
    this.deframer = new EmuDeframer({
      transportType: this.transportType,
      maxPayloadSize: this.maxPayloadSize,
    });
    this.start();
  }

  /** Server role: the command with which the client ended the connection, if it did. */
  get endedBy(): EmuEndCommand | undefined {
    return this.ended;
  }

  /**
   * Client role: TEST "Client Hello!\0", expecting TEST "Server Hello!\0" back.
   * @throws SpdmError 'Transport' for another reply (the connection is then dead), 'Peer' for
   *   UNKNOWN, or the connection's errors; TypeError in the server role.
   */
  async hello(opts: EmuControlOptions = {}): Promise<void> {
    const reply = await this.controlExchange(EMU_COMMAND.TEST, EMU_CLIENT_HELLO, opts);
    if (!sameBytes(reply.payload, EMU_SERVER_HELLO)) {
      const e = new SpdmError('Transport', `${this.remoteAddress} answered TEST with an unexpected payload`);
      this.fail(e);
      throw e;
    }
  }

  /**
   * Client role: sends SHUTDOWN (default) or CONTINUE, waits for the echo (bounded by
   * `timeoutMs`, default closeTimeoutMs), then closes the socket.
   * @throws SpdmError when the echo does not come (the socket is destroyed); TypeError in the
   *   server role.
   */
  async end(command: EmuEndCommand = 'shutdown', opts: EmuControlOptions = {}): Promise<void> {
    const code = command === 'continue' ? EMU_COMMAND.CONTINUE : EMU_COMMAND.SHUTDOWN;
    try {
      await this.controlExchange(code, EMPTY, {
        timeoutMs: opts.timeoutMs ?? this.closeTimeoutMs,
        signal: opts.signal,
      });
    } catch (e) {
      this.destroy();
      throw e;
    }
    this.fail(
      new SpdmError('Closed', `connection to ${this.remoteAddress} ended with ${command}`),
      false,
      true,
    );
    await this.finish();
  }

  /** Sends a frame as a NORMAL packet. @throws SpdmError (the frame cannot be encoded, or as send). */
  async sendFrame(frame: Frame, opts: Omit<SendOptions, 'secured'> = {}): Promise<void> {
    if (this.error !== undefined) throw this.error;
    const timeoutMs = checkTimeout(opts.timeoutMs, this.sendTimeoutMs, 'timeoutMs');
    if (opts.signal?.aborted) throw abortError(opts.signal, `send to ${this.remoteAddress}`);
    const payload = encodeEmuPayload(this.transport, frame);
    await this.writePacket(EMU_COMMAND.NORMAL, payload, timeoutMs, opts.signal);
  }

  /**
   * Client role, connection open and idle: end('shutdown') first, errors swallowed. Then, in
   * every case: flushes, half-closes and waits for the socket to close (destroyed after
   * closeTimeoutMs). Never rejects.
   */
  override async close(): Promise<void> {
    if (this.role === 'client' && this.error === undefined && this.control === undefined) {
      await this.end('shutdown').catch(() => undefined);
    }
    return super.close();
  }

  /** Client role: writes `command` and waits for the packet with the same command. */
  private controlExchange(command: number, payload: Uint8Array, opts: EmuControlOptions): Promise<EmuPacket> {
    if (this.role !== 'client') {
      return Promise.reject(new TypeError(`${emuCommandName(command)} is sent by the client role only`));
    }
    if (this.control !== undefined) {
      return Promise.reject(new TypeError(`${emuCommandName(this.control.command)} is still in progress`));
    }
    if (this.error !== undefined) return Promise.reject(this.error);
    const what = `${emuCommandName(command)} to ${this.remoteAddress}`;
    const timeoutMs = checkTimeout(opts.timeoutMs, this.receiveTimeoutMs, 'timeoutMs');
    if (opts.signal?.aborted) return Promise.reject(abortError(opts.signal, what));
    return new Promise<EmuPacket>((resolve, reject) => {
      const disarm = guard(what, timeoutMs, opts.signal, (e) => this.fail(e));
      this.control = {
        command,
        resolve: (p) => {
          disarm();
          resolve(p);
        },
        reject: (e) => {
          disarm();
          reject(e);
        },
      };
      this.writePacket(command, payload, Number.POSITIVE_INFINITY, undefined).catch(() => undefined);
    });
  }

  /** Writes one packet; the returned promise settles when the stream took it. */
  private writePacket(
    command: number,
    payload: Uint8Array,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (payload.length > this.maxPayloadSize) {
        return reject(
          new SpdmError(
            'TooLarge',
            `a ${payload.length}-byte ${emuCommandName(command)} payload exceeds maxPayloadSize ${this.maxPayloadSize}`,
          ),
        );
      }
      const bytes = encodeEmuPacket({ command, transportType: this.transportType, payload });
      this.writeParts([bytes], timeoutMs, signal, resolve, reject);
    });
  }

  /**
   * Deframes at most `room` packets from `bytes` (every packet counts, control packets too, so
   * they keep their place behind unread frames); returns the bytes consumed.
   */
  protected consume(bytes: Uint8Array, room: number): number {
    let step: { packets: EmuPacket[]; used: number };
    try {
      step = this.deframer.pushSome(bytes, room);
    } catch (e) {
      this.fail(e instanceof SpdmError ? e : new SpdmError('Internal', 'emu deframer failed', { cause: e }));
      return bytes.length;
    }
    for (const p of step.packets) {
      if (this.error !== undefined) return step.used;
      if (p.command === EMU_COMMAND.NORMAL) this.onNormal(p.payload);
      else if (this.role === 'server') this.onServerCommand(p);
      else this.onClientCommand(p);
    }
    if (this.deframer.failure !== undefined) this.fail(this.deframer.failure);
    return step.used;
  }

  private onNormal(payload: Uint8Array): void {
    let frame: Frame;
    try {
      frame = decodeEmuPayload(this.transport, payload);
    } catch (e) {
      this.fail(
        e instanceof SpdmError ? e : new SpdmError('Internal', 'emu payload decoder failed', { cause: e }),
      );
      return;
    }
    this.inbox.put(frame);
  }

  /** Server role: everything but NORMAL (spdm_responder_emu.c platform_server). */
  private onServerCommand(p: EmuPacket): void {
    switch (p.command) {
      case EMU_COMMAND.TEST:
        this.reply(EMU_COMMAND.TEST, EMU_SERVER_HELLO);
        return;
      case EMU_COMMAND.SHUTDOWN:
      case EMU_COMMAND.CONTINUE: {
        const command: EmuEndCommand = p.command === EMU_COMMAND.SHUTDOWN ? 'shutdown' : 'continue';
        this.reply(p.command, EMPTY);
        this.ended = command;
        this.fail(
          new SpdmError('Closed', `${this.remoteAddress} ended the connection with ${command.toUpperCase()}`),
          false,
          true,
        );
        void this.finish();
        this.init.onPeerEnd?.(command, this);
        return;
      }
      case EMU_COMMAND.OOB_ENCAP_KEY_UPDATE:
      case EMU_COMMAND.OOB_ENCAP_ENDPOINT_INFO:
        if (this.init.onOobCommand !== undefined) {
          this.init.onOobCommand(p.command, p.payload, this);
          this.reply(p.command, EMPTY);
          return;
        }
        this.reply(EMU_COMMAND.UNKNOWN, EMPTY);
        return;
      default:
        this.reply(EMU_COMMAND.UNKNOWN, EMPTY);
    }
  }

  /** Client role: only the reply to our own TEST / SHUTDOWN / CONTINUE may arrive. */
  private onClientCommand(p: EmuPacket): void {
    const c = this.control;
    if (c !== undefined && p.command === c.command) {
      this.control = undefined;
      c.resolve(p);
      return;
    }
    const e =
      p.command === EMU_COMMAND.UNKNOWN && c !== undefined
        ? new SpdmError('Peer', `${this.remoteAddress} answered ${emuCommandName(c.command)} with UNKNOWN`)
        : new SpdmError(
            'Transport',
            `${this.remoteAddress} sent an unexpected ${emuCommandName(p.command)} packet`,
          );
    this.fail(e);
  }

  /** Server role: an automatic reply; a write error fails the connection. */
  private reply(command: number, payload: Uint8Array): void {
    this.writePacket(command, payload, this.sendTimeoutMs, undefined).catch(() => undefined);
  }

  protected endedMidFrame(): SpdmError | undefined {
    const p = this.deframer.partial();
    if (p === undefined) return undefined;
    const missing =
      p.expected === undefined ? 'in the packet header' : `${p.expected - p.received} byte(s) missing`;
    return new SpdmError('Closed', `${this.remoteAddress} closed the connection mid-packet (${missing})`);
  }

  /** Rejects a pending hello() / end() with the connection's first error. */
  protected override onFailed(e: SpdmError): void {
    const c = this.control;
    this.control = undefined;
    c?.reject(e);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
