// CLI entry point (dist/cli.js): run the command, exit with its code.
import { handOverToNewerNode } from './cli/node-version.ts';

const handedOver = await handOverToNewerNode(process.argv.slice(2));
if (handedOver !== null) process.exit(handedOver);

const { cancellation, installSignalHandlers } = await import('./teardown.ts');
// Before the heavy imports: a signal during them still ends with 128 + its number.
installSignalHandlers();
const { runCli } = await import('./cli/program.ts');
const code = await runCli(process.argv.slice(2));
// Exit explicitly: a driver socket or timer left open must not keep the CLI alive.
process.exit(cancellation()?.code ?? code);
