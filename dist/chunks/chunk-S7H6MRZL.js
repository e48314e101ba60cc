import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{a as r}from"./chunk-PL6PJ7HL.js";var o={error:0,warning:1,notice:2};function c(n,e){return o[n]-o[e]}r(c,"compareSeverity");function u(n,e){let t=r(g=>n.filter(l=>l.severity===g).length,"count"),i=t("error"),s=t("warning"),a=e==="error"?i>0:e==="warning"?i+s>0:!1;return{errors:i,warnings:s,notices:t("notice"),verdict:a?"fail":"pass"}}r(u,"summarize");export{c as a,u as b};
