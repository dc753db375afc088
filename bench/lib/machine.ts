/**
 * A description of the machine a run measured on (cores, CPU model, memory, Node and OpenSSL
 * versions), for the table header, the results file and the README's Performance section.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';

export interface MachineInfo {
  readonly cores: number;
  readonly cpu: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly openssl: string;
  readonly os: string;
  /** 1-minute load average when the run started (other work on a shared machine). */
  readonly loadAvg1: number;
}

/** CPU model name from /proc/cpuinfo on Linux, else from os.cpus(). */
function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch {
    // not Linux: fall through
  }
  return cpus()[0]?.model.trim() ?? 'unknown';
}

export function machineInfo(): MachineInfo {
  return {
    cores: availableParallelism(),
    cpu: cpuModel(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    openssl: process.versions.openssl ?? 'unknown',
    os: `${platform()} ${release()}`,
    loadAvg1: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** One line: `2 cores, AMD EPYC, 23.5 GiB, node v20.20.2 (OpenSSL 3.0.x), linux 6.x, load 0.5`. */
export function describeMachine(m: MachineInfo): string {
  return (
    `${m.cores} cores, ${m.cpu}, ${m.memoryGiB} GiB, node ${m.node} (OpenSSL ${m.openssl}), ` +
    `${m.os}, load ${m.loadAvg1}`
  );
}
