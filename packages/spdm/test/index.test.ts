import { describe, expect, it } from 'vitest';
import * as spdm from '../src/index.js';

describe('package entry point', () => {
  it('exposes the documented entry points and layer namespaces', () => {
    const entryPoints = {
      runRequester: spdm.runRequester,
      runResponder: spdm.runResponder,
      serve: spdm.serve,
      negotiate: spdm.negotiate,
      connectAndNegotiate: spdm.connectAndNegotiate,
      ResponderCore: spdm.ResponderCore,
      SecureChannel: spdm.SecureChannel,
      validateCertChain: spdm.validateCertChain,
      KeySchedule: spdm.KeySchedule,
      connectTcp: spdm.connectTcp,
      listenTcp: spdm.listenTcp,
      SpdmError: spdm.SpdmError,
    };
    for (const [name, value] of Object.entries(entryPoints)) expect(typeof value, name).toBe('function');
    expect(typeof spdm.transport.connectEmu).toBe('function');
    expect(typeof spdm.requester.negotiate).toBe('function');
    expect(typeof spdm.responder.ResponderCore).toBe('function');
    expect(spdm.REQUEST_CODE.KEY_EXCHANGE).toBe(0xe4);
  });
});
