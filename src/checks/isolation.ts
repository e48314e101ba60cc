// What the project's code could reach, for the report: the database role it
// connected as, the sandbox its Python ran in, and a notice for each way in
// which that is less than the default (database/access.ts, alembic/sandbox.ts).
import type { Bridge } from '../alembic/bridge.ts';
import type { AccessSummary } from '../database/access.ts';
import type { Finding, IsolationInfo } from '../model.ts';
import { finding } from './finding.ts';

function notice(message: string): Finding {
  return finding({ ruleId: 'isolation-reduced', message });
}

export function isolationInfo(access: AccessSummary | undefined, bridge: Bridge): IsolationInfo {
  return {
    databaseRole: access?.role ?? 'none',
    process: bridge.sandbox?.description ?? 'not started',
    extensions: access?.extensions ?? [],
  };
}

export function isolationFindings(access: AccessSummary | undefined, bridge: Bridge): Finding[] {
  const findings: Finding[] = [];
  if (access?.role === 'superuser') {
    findings.push(
      notice(
        `The project's code connected as the server's superuser "${access.roleName}" (database-role = "superuser"): it could run any SQL on that server, COPY … TO PROGRAM and other databases included.`,
      ),
    );
  }
  for (const warning of access?.warnings ?? []) findings.push(notice(warning));
  for (const fallback of bridge.sandboxFallbacks) findings.push(notice(fallback));
  const caveat = bridge.sandbox?.caveat;
  if (caveat !== undefined) {
    findings.push(
      notice(
        `${caveat.charAt(0).toUpperCase()}${caveat.slice(1)}. For pull requests you do not trust, run the review in the analyze/publish pair, which gives it no token.`,
      ),
    );
  }
  return findings;
}
