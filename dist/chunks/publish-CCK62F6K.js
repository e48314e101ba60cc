import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{e as a,f as b,g as c,h as d,i as e}from"./chunk-QBEN5XH6.js";import"./chunk-TQZVFAJY.js";import"./chunk-EHBFEF6F.js";import"./chunk-S7H6MRZL.js";import"./chunk-6RVCSDKY.js";import"./chunk-YYODUC57.js";import"./chunk-BAXYW5VN.js";import"./chunk-UZYGV6UT.js";import"./chunk-EJU6ZZA3.js";import"./chunk-GTDGWGWT.js";import"./chunk-PL6PJ7HL.js";export{a as DOCS_FORKS,b as READ_ONLY_WARNING,e as publishReport,d as publishReview,c as resolveTarget};
