import { describe, expect, it } from 'vitest';
import * as tq from '../src/index.js';

describe('package entry point', () => {
  it('exposes every area as a namespace', () => {
    expect(typeof tq.agent.Agent).toBe('function');
    expect(typeof tq.rackSecret.split).toBe('function');
    expect(typeof tq.collector.ShareCollector).toBe('function');
    expect(typeof tq.server.ShareServer).toBe('function');
    expect(typeof tq.ledger.loadLedger).toBe('function');
    expect(typeof tq.keys.deriveStorageKey).toBe('function');
    expect(typeof tq.pki.initPki).toBe('function');
    expect(typeof tq.rackInit.initRack).toBe('function');
    expect(typeof tq.TrustQuorumError).toBe('function');
  });
});
