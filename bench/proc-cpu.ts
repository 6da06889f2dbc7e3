/**
 * CPU time of a browser's processes by kind (browser, renderer, the
 * extension's renderer that runs its service worker, utilities), from
 * /proc/<pid>/stat (Linux). Used by the page-overhead benchmark to show
 * where the extension's cost goes: the page's own thread, or other
 * processes that compete with it for the machine's cores.
 */
import { readFileSync, readdirSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ = 100 on Linux

export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch {
      // Gone.
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

export function kindOf(pid: number): string {
  try {
    // Chromium rewrites its command line: arguments may be joined by spaces.
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    if (!cmd.includes('chrom')) return 'other';
    const type = /--type=(\S+)/.exec(cmd)?.[1];
    if (!type) return 'browser';
    if (type === 'renderer') return cmd.includes('--extension-process') ? 'extension renderer (worker)' : 'renderer';
    const sub = /--utility-sub-type=(\S+)/.exec(cmd)?.[1];
    return sub ? `utility ${sub}` : type;
  } catch {
    return 'gone';
  }
}

export function cpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** CPU ms by process kind of every descendant of this Node process. */
export function cpuByKind(): Map<number, { kind: string; ms: number }> {
  const root = process.pid;
  const out = new Map<number, { kind: string; ms: number }>();
  for (const p of descendants(root)) {
    const kind = kindOf(p);
    if (kind === 'other' || kind === 'gone') continue;
    out.set(p, { kind, ms: cpu(p) });
  }
  return out;
}

/** CPU ms spent per kind between two readings (processes that ended in between are lost). */
export function cpuSpent(before: Map<number, { kind: string; ms: number }>, after: Map<number, { kind: string; ms: number }>): Record<string, number> {
  const spent: Record<string, number> = {};
  for (const [pid, { kind, ms }] of after) spent[kind] = (spent[kind] ?? 0) + ms - (before.get(pid)?.ms ?? 0);
  return spent;
}
