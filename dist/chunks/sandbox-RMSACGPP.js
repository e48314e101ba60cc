import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{c as a,d as b,e as c,f as d,g as e}from"./chunk-ZBGPZNZ5.js";import"./chunk-PL6PJ7HL.js";export{e as absoluteExecutable,c as availableSandboxes,a as killGroup,d as startProbingSandboxes,b as unsandboxed};
