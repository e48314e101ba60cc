import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{a as t}from"./chunk-PL6PJ7HL.js";function e(r,n){return`${r} ${n}${r===1?"":"s"}`}t(e,"plural");function o(r,n){return`${r.slice(0,n).join(", ")}${r.length>n?", \u2026":""}`}t(o,"firstFew");function i(r){if(r<1e3)return`${Math.round(r)} ms`;if(r<6e4)return`${(r/1e3).toFixed(1)} s`;let n=Math.floor(r/6e4);return`${n} min ${Math.round((r-n*6e4)/1e3)} s`}t(i,"duration");var u={error:"\u{1F6D1}",warning:"\u26A0\uFE0F",notice:"\u2139\uFE0F"};function s(r){return`${e(r.errors,"error")}, ${e(r.warnings,"warning")}, ${e(r.notices,"notice")}`}t(s,"counts");export{e as a,o as b,i as c,u as d,s as e};
