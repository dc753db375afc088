export { bytesEqual, concatBytes, fromHex, toHex } from './bytes.js';
export { ByteReader } from './reader.js';
export { ByteWriter } from './writer.js';
