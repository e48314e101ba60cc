// CLI entry point (dist/cli.js): run the command, exit with its code.
import { runCli } from './cli/program.ts';
import { installSignalHandlers } from './teardown.ts';

installSignalHandlers();
const code = await runCli(process.argv.slice(2));
// Exit explicitly: a driver socket or timer left open must not keep the CLI alive.
process.exit(code);
