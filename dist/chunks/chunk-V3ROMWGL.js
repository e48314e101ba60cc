import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{a as s}from"./chunk-PL6PJ7HL.js";var t=[],a=!1;function l(e,n){let r={name:e,run:n};return t.push(r),async()=>{let i=t.indexOf(r);i!==-1&&(t.splice(i,1),await r.run())}}s(l,"onTeardown");async function c(e=n=>process.stderr.write(`${n}
`)){for(;t.length>0;){let n=t.pop();if(n===void 0)break;try{await n.run()}catch(r){e(`alembic-review: cleanup of ${n.name} failed: ${r instanceof Error?r.message:String(r)}`)}}}s(c,"teardownAll");function d(){return t.map(e=>e.name)}s(d,"pendingTeardowns");function p(){if(a)return;a=!0;let e=!1,n=s((i,o)=>{e||(e=!0,process.stderr.write(`alembic-review: received ${i}, cleaning up
`),c().finally(()=>process.exit(o)))},"handle");process.on("SIGTERM",()=>{n("SIGTERM",143)});let r=s(i=>{if(e)return;e=!0;let o=i instanceof Error?i.message:String(i);process.stderr.write(`alembic-review: internal error: ${o}. This is a bug in alembic-review; please report it.
`),process.argv.includes("--verbose")&&i instanceof Error&&process.stderr.write(`${i.stack??""}
`),c().finally(()=>process.exit(2))},"crash");process.on("uncaughtException",r),process.on("unhandledRejection",r),process.on("SIGINT",()=>{n("SIGINT",130)})}s(p,"installSignalHandlers");export{l as a,c as b,d as c,p as d};
