import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{b as a,c as b,d as c,e as d,f as e}from"./chunk-VQMLTXTR.js";import"./chunk-PL6PJ7HL.js";export{e as absoluteExecutable,c as availableSandboxes,a as killGroup,d as startProbingSandboxes,b as unsandboxed};
