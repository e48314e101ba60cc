// A directory tree handed to another user (as root): a sandbox's private
// home, a cluster's data directory. At once, not file by file between other
// callbacks: whoever waits for it waits for all of it.
import { chownSync, readdirSync } from 'node:fs';
import path from 'node:path';

export function chownTree(dir: string, owner: { uid: number; gid: number }): void {
  chownSync(dir, owner.uid, owner.gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(full, owner);
    else chownSync(full, owner.uid, owner.gid);
  }
}
