import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{a,b,c,d,e,f,g}from"./chunk-ZIAWKTEP.js";import"./chunk-PL6PJ7HL.js";export{e as Cancelled,c as cancellation,g as installSignalHandlers,a as onTeardown,f as pendingTeardowns,b as teardownAll,d as throwIfCancelled};
