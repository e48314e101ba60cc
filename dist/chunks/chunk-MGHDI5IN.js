import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{a as i}from"./chunk-PL6PJ7HL.js";import{homedir as n}from"node:os";import o from"node:path";function a(e=process.env){let r=e.XDG_CACHE_HOME??"",t=e.HOME??"",c=o.isAbsolute(r)?r:o.join(t===""?n():t,".cache");return o.join(c,"alembic-review")}i(a,"defaultCacheDir");export{a};
