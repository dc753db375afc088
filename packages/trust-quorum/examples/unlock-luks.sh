#!/bin/sh
# Example unlock hook for the trust-quorum agent: opens a LUKS2 volume with the storage key
# the agent derived for one disk.
#
#   usage: unlock-luks.sh DEVICE NAME        (the key comes on stdin: 32 raw bytes)
#
# agent.toml:
#   [unlock]
#   hook  = ["/usr/local/lib/tq/unlock-luks.sh", "/dev/disk/by-partlabel/{disk}", "tq-{disk}"]
#   disks = ["data0"]
#
# The agent runs it once per disk, with "{disk}" replaced by the disk id and TQ_DISK_ID,
# TQ_SLED_ID and TQ_KEY_FINGERPRINT in the environment. Exit 0 means unlocked; anything else
# is reported as that disk's failure (with the last line of stderr) and the sled is not
# "unlocked". The key never touches a file or a command line: cryptsetup reads it from stdin
# (--key-file=- reads to end of input, so the raw bytes are used as they are, no newline).
#
# First-time setup of such a volume: `tq luks format DEVICE --disk data0 --key-from-recover
# LEDGER...` (see `tq luks --help`).
#
# Set TQ_LUKS_TEST_ONLY=1 to only check that the key opens the volume
# (`cryptsetup open --test-passphrase`: no device-mapper needed), e.g. in tests or containers.
set -eu

if [ "$#" -ne 2 ]; then
  echo "usage: $0 DEVICE NAME (key on stdin)" >&2
  exit 64
fi
device=$1
name=$2

if [ "${TQ_LUKS_TEST_ONLY:-0}" = 1 ]; then
  exec cryptsetup open --test-passphrase --key-file=- "$device"
fi

if [ -e "/dev/mapper/$name" ]; then
  # Already open (agent restarted): nothing to do, but the key must still be the right one.
  exec cryptsetup open --test-passphrase --key-file=- "$device"
fi

exec cryptsetup open --type luks2 --key-file=- "$device" "$name"
