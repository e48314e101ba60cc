import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{a as n,b as m}from"./chunk-RHDSDXUU.js";import{o as t,p as e}from"./chunk-EHBFEF6F.js";import"./chunk-S7H6MRZL.js";import"./chunk-6RVCSDKY.js";import"./chunk-YYODUC57.js";import"./chunk-EJU6ZZA3.js";import{a as o}from"./chunk-PL6PJ7HL.js";function c(r,s,a){switch(s){case"text":return m(r,a);case"json":return e(r);case"markdown":return t(r);case"sarif":return n(r)}}o(c,"renderReport");export{c as renderReport};
