/**
 * The default code -> handler table of ResponderCore: one entry per implemented request, each
 * defined in the file named after its exchange. Extension point: a later phase adds its line
 * here (or is registered at run time through ResponderInit.handlers / registerHandler).
 */
import { REQUEST_CODE } from '../msgs/codes.js';
import { negotiateAlgorithmsHandler } from './algorithms.js';
import { getCapabilitiesHandler } from './capabilities.js';
import { getCertificateHandler } from './certificate.js';
import { challengeHandler } from './challenge.js';
import { getDigestsHandler } from './digests.js';
import type { RequestHandler } from './handler.js';
import { getMeasurementsHandler } from './measurements.js';
import { respondIfReadyHandler } from './respond-if-ready.js';
import { getVersionHandler } from './version.js';

export const DEFAULT_HANDLERS: ReadonlyMap<number, RequestHandler> = new Map<number, RequestHandler>([
  [REQUEST_CODE.GET_VERSION, getVersionHandler],
  [REQUEST_CODE.GET_CAPABILITIES, getCapabilitiesHandler],
  [REQUEST_CODE.NEGOTIATE_ALGORITHMS, negotiateAlgorithmsHandler],
  [REQUEST_CODE.RESPOND_IF_READY, respondIfReadyHandler],
  [REQUEST_CODE.GET_DIGESTS, getDigestsHandler],
  [REQUEST_CODE.GET_CERTIFICATE, getCertificateHandler],
  [REQUEST_CODE.CHALLENGE, challengeHandler],
  [REQUEST_CODE.GET_MEASUREMENTS, getMeasurementsHandler],
]);
