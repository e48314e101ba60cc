import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{e as a,f as b,g as c,h as d,i as e}from"./chunk-ZTJWHG72.js";import"./chunk-YJBPFILP.js";import"./chunk-GTDGWGWT.js";import"./chunk-PL6PJ7HL.js";export{a as DOCS_FORKS,b as READ_ONLY_WARNING,e as publishReport,d as publishReview,c as resolveTarget};
