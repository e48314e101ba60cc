import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{a as n}from"./chunk-PL6PJ7HL.js";var a=class{static{n(this,"Progress")}timings={};write;started=Date.now();constructor(t){this.write=t}async stage(t,c,o){let e=performance.now();this.write(`${this.clock()} ${t} \u2026`);try{let i=await c(),s=performance.now()-e;this.timings[t]=Math.round(s);let d=o===void 0?"":`: ${o(i)}`;return this.write(`${this.clock()} ${t} done in ${h(s)}${d}`),i}catch(i){throw this.timings[t]=Math.round(performance.now()-e),i}}note(t){this.write(`${this.clock()}   ${t}`)}clock(){return`[${((Date.now()-this.started)/1e3).toFixed(1).padStart(5)}s]`}};function h(r){return r<1e3?`${Math.round(r)} ms`:`${(r/1e3).toFixed(1)} s`}n(h,"formatMs");export{a,h as b};
