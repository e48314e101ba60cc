import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{a as n}from"./chunk-PL6PJ7HL.js";function i(e,t){return e.file===t.file&&e.startLine===t.startLine&&e.endLine===t.endLine&&e.replacement===t.replacement}n(i,"sameEdit");function r(e,t){return e.file===t.file&&e.startLine<=t.endLine&&t.startLine<=e.endLine}n(r,"overlaps");export{i as a,r as b};
