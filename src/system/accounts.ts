// Local user accounts, looked up by name (`id`, which also sees NSS sources
// such as LDAP that /etc/passwd would miss).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface Account {
  uid: number;
  gid: number;
  name: string;
}

export async function lookupAccount(name: string): Promise<Account | undefined> {
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
