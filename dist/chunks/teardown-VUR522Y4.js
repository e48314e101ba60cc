import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{a,b,c,d}from"./chunk-V3ROMWGL.js";import"./chunk-PL6PJ7HL.js";export{d as installSignalHandlers,a as onTeardown,c as pendingTeardowns,b as teardownAll};
