import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{b as a,c as b,d as c,e as d,f as e}from"./chunk-DGSDFS25.js";import"./chunk-AXMFLWI5.js";import"./chunk-DXLJBVB6.js";import"./chunk-BAXYW5VN.js";import"./chunk-UZYGV6UT.js";import"./chunk-EJU6ZZA3.js";import"./chunk-PL6PJ7HL.js";export{c as applyEdits,a as attachFixes,e as findingsRoot,b as planFixes,d as unifiedDiff};
