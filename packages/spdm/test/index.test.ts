import { describe, expect, it } from 'vitest';
import * as spdm from '../src/index.js';

describe('package entry point', () => {
  it('exposes the documented entry points and layer namespaces', () => {
    for (const name of [
      'runRequester',
      'runResponder',
      'serve',
      'negotiate',
      'connectAndNegotiate',
      'ResponderCore',
      'SecureChannel',
      'validateCertChain',
      'KeySchedule',
      'connectTcp',
      'listenTcp',
      'SpdmError',
    ] as const) {
      expect(typeof spdm[name], name).toBe('function');
    }
    expect(typeof spdm.transport.connectEmu).toBe('function');
    expect(typeof spdm.requester.negotiate).toBe('function');
    expect(typeof spdm.responder.ResponderCore).toBe('function');
    expect(spdm.REQUEST_CODE.KEY_EXCHANGE).toBe(0xe4);
  });
});
