// Local user accounts, looked up by name: /etc/passwd first (no process to
// start), else `id`, which also sees NSS sources such as LDAP that
// /etc/passwd would miss.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface Account {
  uid: number;
  gid: number;
  name: string;
}

export async function lookupAccount(name: string): Promise<Account | undefined> {
  return fromPasswd(name) ?? (await fromId(name));
}

/** name:password:uid:gid:… in /etc/passwd; undefined when absent or unreadable. */
function fromPasswd(name: string, file = '/etc/passwd'): Account | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user !== name || uid === undefined || gid === undefined) continue;
    if (!/^\d+$/.test(uid) || !/^\d+$/.test(gid)) return undefined;
    return { uid: Number(uid), gid: Number(gid), name };
  }
  return undefined;
}

async function fromId(name: string): Promise<Account | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', name], { timeout: 5000 }),
      execFileAsync('id', ['-g', name], { timeout: 5000 }),
    ]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), name };
  } catch {
    return undefined;
  }
}
