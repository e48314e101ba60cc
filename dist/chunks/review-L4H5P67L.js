import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{a}from"./chunk-XQBSO3DU.js";import"./chunk-6RYHNFLT.js";import"./chunk-LXNAC6WB.js";import"./chunk-3PX4FWAN.js";import"./chunk-ZBGPZNZ5.js";import"./chunk-AXMFLWI5.js";import"./chunk-DXLJBVB6.js";import"./chunk-TQZVFAJY.js";import"./chunk-S7H6MRZL.js";import"./chunk-6RVCSDKY.js";import"./chunk-YYODUC57.js";import"./chunk-UZYGV6UT.js";import"./chunk-EJU6ZZA3.js";import"./chunk-ZIAWKTEP.js";import"./chunk-PL6PJ7HL.js";export{a as review};
