/**
 * `npm run test:interop`: this SPDM stack against DMTF's reference implementation, libspdm, in
 * both roles, through spdm-emu's socket protocol, plus DMTF's responder validator (README
 * "Interop"). Not part of `npm test`; it needs the emulator binaries:
 *
 *   SPDM_EMU_BIN=/path/to/spdm-emu/build/bin npm run test:interop
 *
 * Without SPDM_EMU_BIN it says what it needs and exits 0 ("skipped"). With it, it runs
 *   1. our requester against spdm_responder_emu   (requester-vs-emu.ts)
 *   2. spdm_requester_emu against our responder   (responder-vs-emu.ts)
 *   3. the responder validator against our responder over MCTP and NONE (validator.ts)
 * printing pass / FAIL / n/a per cell and a summary, and exits 1 if any cell failed.
 *
 * INTEROP_SECTIONS=1,3 runs only those sections; INTEROP_FILTER=regex only the cells whose name
 * matches; INTEROP_VERBOSE=1 prints every cell's steps and command line.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type CellResult, cellName, matrixCells } from './cells.js';
import { missingPrograms } from './emu-process.js';
import { printCell, printMatrix, printSummary } from './report.js';
import { requesterCell } from './requester-vs-emu.js';
import { responderCell } from './responder-vs-emu.js';
import { validatorCell } from './validator.js';

const HELP = `test:interop skipped: SPDM_EMU_BIN is not set.

This run needs DMTF's spdm-emu built beside the project (never inside it), and SPDM_EMU_BIN set
to its build/bin folder (the one holding spdm_responder_emu, spdm_requester_emu,
spdm_device_validator_sample and the sample certificate folders ecp256/, ecp384/, rsa3072/, ...).

To build it: clone https://github.com/DMTF/spdm-emu next to this repository and check out
85436d53a3b6d181e8c2dce930d22a7a3ed8796c (the commit this matrix was made with), then fetch its
submodules (libspdm 1e16c60f, SPDM-Responder-Validator cf49a913) with
"git submodule update --init --recursive". Install cmake, a C compiler and Debian's libssl-dev.
In spdm-emu, make a build folder and configure it with CMake for ARCH=x64, TOOLCHAIN=GCC,
TARGET=Release and CRYPTO=openssl, linking the system OpenSSL through libspdm's prebuilt-crypto
options: ENABLE_BINARY_BUILD=1, COMPILED_LIBCRYPTO_PATH=/usr/lib/x86_64-linux-gnu/libcrypto.so,
COMPILED_LIBSSL_PATH=/usr/lib/x86_64-linux-gnu/libssl.so. Then build the copy_sample_key target
and everything else ("make copy_sample_key" and "make").

Then: SPDM_EMU_BIN=/path/to/spdm-emu/build/bin npm run test:interop`;

function sections(): Set<number> {
  const s = process.env.INTEROP_SECTIONS;
  if (!s) return new Set([1, 2, 3]);
  return new Set(s.split(',').map((x) => Number(x.trim())));
}

async function main(): Promise<number> {
  const binEnv = process.env.SPDM_EMU_BIN;
  if (!binEnv) {
    console.log(HELP);
    console.log('\nskipped');
    return 0;
  }
  const bin = resolve(binEnv);
  const missing = existsSync(bin) ? missingPrograms(bin) : ['(the folder itself)'];
  if (missing.length > 0) {
    console.error(`SPDM_EMU_BIN=${bin}: missing ${missing.join(', ')}`);
    return 2;
  }
  const filter = process.env.INTEROP_FILTER ? new RegExp(process.env.INTEROP_FILTER) : undefined;
  const verbose = process.env.INTEROP_VERBOSE === '1';
  const want = sections();
  const results: CellResult[] = [];
  const keep = (name: string) => !filter || filter.test(name);
  console.log(`spdm-emu binaries: ${bin}\n`);
  if (want.has(1)) {
    console.log('1. our requester -> spdm_responder_emu');
    for (const c of matrixCells().filter((m) => keep(cellName(m)))) {
      const r = await requesterCell(bin, c);
      results.push(r);
      printCell(r, verbose);
    }
  }
  if (want.has(2)) {
    console.log('\n2. spdm_requester_emu -> our responder');
    for (const c of matrixCells().filter((m) => keep(cellName(m)))) {
      const r = await responderCell(bin, c);
      results.push(r);
      printCell(r, verbose);
    }
  }
  if (want.has(3)) {
    console.log('\n3. SPDM-Responder-Validator -> our responder');
    for (const t of ['mctp', 'none'] as const) {
      if (!keep(`validator ${t.toUpperCase()}`)) continue;
      const r = await validatorCell(bin, t);
      results.push(r);
      printCell(r, verbose);
    }
  }
  printMatrix(results);
  return printSummary(results) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
