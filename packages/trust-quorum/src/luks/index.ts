/** First-time LUKS2 setup and key checks with rack-derived storage keys (cryptsetup). */
export {
  createImage,
  cryptsetupVersion,
  DEFAULT_LUKS_PBKDF,
  isLuks,
  type LuksInit,
  type LuksPbkdf,
  luksCheck,
  luksCheckArgv,
  luksFormat,
  luksFormatArgv,
  MAX_IMAGE_BYTES,
  parseSize,
  pbkdfArgs,
} from './cryptsetup.js';
