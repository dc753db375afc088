/**
 * Measurement sources (responder/measurement-source.ts): item checks, digests per measurement
 * hash checked against node:crypto, the documented file-set digest recomputed by hand from a
 * temporary directory (skips, order, bounds), the program source's blocks.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MEASUREMENT_HASH_ALGO } from '../../src/crypto/algorithms.js';
import { DMTF_MEASUREMENT_TYPE } from '../../src/msgs/measurement-blocks.js';
import {
  defaultMeasurementSource,
  digestFiles,
  measurementSource,
  PROGRAM_MEASUREMENT_INDEX,
  programMeasurementSource,
} from '../../src/responder/measurement-source.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'tq-meas-'));
  dirs.push(root);
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, content);
  }
  return root;
}

/** The documented file-set digest, written out independently. */
function expected(node: string, entries: [string, string][]): Uint8Array {
  const h = createHash(node);
  for (const [rel, content] of entries) {
    const name = Buffer.from(rel, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(name.length);
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(Buffer.byteLength(content)));
    h.update(len).update(name).update(size).update(content);
  }
  return new Uint8Array(h.digest());
}

describe('measurementSource', () => {
  it('refuses bad items', () => {
    const v = { kind: 'raw', bytes: new Uint8Array(1) } as const;
    expect(() => measurementSource([{ index: 0, type: 1, value: v }])).toThrow(RangeError);
    expect(() => measurementSource([{ index: 0xff, type: 1, value: v }])).toThrow(RangeError);
    expect(() => measurementSource([{ index: 0x80, type: 0x80, value: v }])).toThrow(RangeError);
    expect(() =>
      measurementSource([
        { index: 2, type: 1, value: v },
        { index: 2, type: 3, value: v },
      ]),
    ).toThrow(/twice/);
  });

  it('digests content per measurement hash, sorts by index, serves raw values as they are', () => {
    const s = measurementSource([
      { index: 7, type: DMTF_MEASUREMENT_TYPE.VERSION, value: { kind: 'raw', bytes: Uint8Array.of(1, 2) } },
      {
        index: 3,
        type: DMTF_MEASUREMENT_TYPE.MUTABLE_FIRMWARE,
        value: { kind: 'content', bytes: Uint8Array.of(9) },
      },
    ]);
    for (const [algo, node] of [
      [MEASUREMENT_HASH_ALGO.SHA_256, 'sha256'],
      [MEASUREMENT_HASH_ALGO.SHA_384, 'sha384'],
      [MEASUREMENT_HASH_ALGO.SHA3_512, 'sha3-512'],
    ] as const) {
      const b = s.blocks(algo);
      expect(b.map((x) => [x.index, x.raw])).toEqual([
        [3, false],
        [7, true],
      ]);
      expect(b[0]!.value).toEqual(new Uint8Array(createHash(node).update(Uint8Array.of(9)).digest()));
      expect(b[1]!.value).toEqual(Uint8Array.of(1, 2));
    }
    expect(s.isTcb?.(3)).toBe(false);
    expect(() => s.blocks(MEASUREMENT_HASH_ALGO.RAW_BIT_STREAM)).toThrow(RangeError);
  });
});

describe('digestFiles', () => {
  it('is the documented digest: relative paths in byte order, skipping dot files, node_modules and links', () => {
    const root = tree({
      'b.txt': 'bee',
      'a/z.js': 'zed',
      'a/B.js': 'upper',
      '.git/HEAD': 'ignored',
      'node_modules/x/index.js': 'ignored',
    });
    symlinkSync(join(root, 'b.txt'), join(root, 'link.txt'));
    const got = digestFiles([root], [MEASUREMENT_HASH_ALGO.SHA_256, MEASUREMENT_HASH_ALGO.SHA_384]);
    const want: [string, string][] = [
      ['a/B.js', 'upper'],
      ['a/z.js', 'zed'],
      ['b.txt', 'bee'],
    ];
    expect(got.get(MEASUREMENT_HASH_ALGO.SHA_256)).toEqual(expected('sha256', want));
    expect(got.get(MEASUREMENT_HASH_ALGO.SHA_384)).toEqual(expected('sha384', want));
    // a single file is measured under its base name
    expect(
      digestFiles([join(root, 'b.txt')], [MEASUREMENT_HASH_ALGO.SHA_256]).get(MEASUREMENT_HASH_ALGO.SHA_256),
    ).toEqual(expected('sha256', [['b.txt', 'bee']]));
  });

  it('with a base, paths are relative to it, so two roots cannot share a name', () => {
    const top = tree({ 'r1/a.js': 'one', 'r2/a.js': 'two', 'pkg.json': '{}' });
    const got = digestFiles(
      [join(top, 'r2'), join(top, 'r1'), join(top, 'pkg.json')],
      [MEASUREMENT_HASH_ALGO.SHA_256],
      {
        base: top,
      },
    );
    expect(got.get(MEASUREMENT_HASH_ALGO.SHA_256)).toEqual(
      expected('sha256', [
        ['pkg.json', '{}'],
        ['r1/a.js', 'one'],
        ['r2/a.js', 'two'],
      ]),
    );
  });

  it('changes with one byte of content or a renamed file', () => {
    const d = (files: Record<string, string>) =>
      digestFiles([tree(files)], [MEASUREMENT_HASH_ALGO.SHA_256]).get(MEASUREMENT_HASH_ALGO.SHA_256);
    const base = d({ 'x.js': 'abc' });
    expect(d({ 'x.js': 'abc' })).toEqual(base);
    expect(d({ 'x.js': 'abd' })).not.toEqual(base);
    expect(d({ 'y.js': 'abc' })).not.toEqual(base);
  });

  it('is bounded in files and bytes', () => {
    const root = tree({ a: '1', b: '2', c: '3' });
    expect(() => digestFiles([root], [MEASUREMENT_HASH_ALGO.SHA_256], { maxFiles: 2 })).toThrow(
      /more than 2 files/,
    );
    expect(() => digestFiles([root], [MEASUREMENT_HASH_ALGO.SHA_256], { maxBytes: 2 })).toThrow(/byte limit/);
  });
});

describe('programMeasurementSource', () => {
  it('serves the program (TCB), the configuration and the version', () => {
    const root = tree({ 'main.js': 'console.log(1)' });
    const s = programMeasurementSource({
      paths: [root],
      config: Uint8Array.of(1, 2, 3),
      version: 'tq 0.1.0',
    });
    const b = s.blocks(MEASUREMENT_HASH_ALGO.SHA_256);
    expect(b.map((x) => [x.index, x.type, x.raw])).toEqual([
      [PROGRAM_MEASUREMENT_INDEX.PROGRAM, DMTF_MEASUREMENT_TYPE.MUTABLE_FIRMWARE, false],
      [PROGRAM_MEASUREMENT_INDEX.CONFIG, DMTF_MEASUREMENT_TYPE.FIRMWARE_CONFIGURATION, false],
      [PROGRAM_MEASUREMENT_INDEX.VERSION, DMTF_MEASUREMENT_TYPE.VERSION, true],
    ]);
    expect(b[0]!.value).toEqual(expected('sha256', [['main.js', 'console.log(1)']]));
    expect(b[1]!.value).toEqual(
      new Uint8Array(
        createHash('sha256')
          .update(Uint8Array.of(1, 2, 3))
          .digest(),
      ),
    );
    expect(Buffer.from(b[2]!.value).toString()).toBe('tq 0.1.0');
    expect([s.isTcb?.(1), s.isTcb?.(2)]).toEqual([true, false]);
    expect(() => programMeasurementSource({ paths: [root], version: 'x'.repeat(257) })).toThrow(RangeError);
  });

  it('the default source is built once per process', () => {
    expect(defaultMeasurementSource()).toBe(defaultMeasurementSource());
    expect(defaultMeasurementSource().blocks(MEASUREMENT_HASH_ALGO.SHA_384)[0]!.value.length).toBe(48);
  });
});
