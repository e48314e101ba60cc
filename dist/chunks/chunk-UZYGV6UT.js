import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{a as r}from"./chunk-PL6PJ7HL.js";var s=class extends Error{static{r(this,"UsageError")}kind;detail;constructor(t,a,n){super(a,n?.cause===void 0?void 0:{cause:n.cause}),this.name="UsageError",this.kind=t,this.detail=n?.detail}};function i(e){return e instanceof s}r(i,"isUsageError");function o(e){return e instanceof Error?e.message:String(e)}r(o,"errorMessage");export{s as a,i as b,o as c};
