// Action entry point (dist/index.js).
import { run } from './main.ts';
import { installSignalHandlers } from './teardown.ts';

installSignalHandlers();
await run();
