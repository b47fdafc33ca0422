import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** The nearest ancestor of `startDir` holding `proto/confide`; returns that `proto` dir. */
export function findProtoRoot(startDir: string = __dirname): string | undefined {
  let dir = resolve(startDir);
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'confide'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Every .proto file under `root`, as paths relative to it (sorted). */
export function listProtoFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (entry.endsWith('.proto')) out.push(relative(root, full).split('\\').join('/'));
    }
  };
  walk(root);
  return out.sort();
}
