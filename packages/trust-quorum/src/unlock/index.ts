/** The unlock hook: each storage key to a command on stdin, output redacted and bounded. */
export {
  DISK_PLACEHOLDER,
  type DiskUnlockResult,
  runUnlockHook,
  type UnlockHookInit,
  unlockDisks,
} from './hook.js';
export {
  describeExit,
  type HookCommand,
  type KeyCommandInit,
  type KeyCommandResult,
  REDACTED,
  redactKey,
  runWithKeyOnStdin,
} from './key-command.js';
