import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{a as t}from"./chunk-PL6PJ7HL.js";var s=[],a=new Set,d=!1,c;async function p(n){let e=Promise.resolve().then(n.run),r=e.then(()=>{},()=>{});a.add(r);try{await e}finally{a.delete(r)}}t(p,"runTracked");function f(n,e){let r={name:n,run:e};return s.push(r),async()=>{let i=s.indexOf(r);i!==-1&&(s.splice(i,1),await p(r))}}t(f,"onTeardown");async function u(n=e=>process.stderr.write(`${e}
`)){for(;s.length>0||a.size>0;){let e=s.pop();if(e===void 0){await Promise.all([...a]);continue}try{await p(e)}catch(r){n(`alembic-review: cleanup of ${e.name} failed: ${r instanceof Error?r.message:String(r)}`)}}}t(u,"teardownAll");function g(){return c}t(g,"cancellation");function w(){if(c!==void 0)throw new l(c.signal)}t(w,"throwIfCancelled");var l=class extends Error{static{t(this,"Cancelled")}constructor(e){super(`the review was cancelled (${e})`),this.name="Cancelled"}};function m(){return s.map(n=>n.name)}t(m,"pendingTeardowns");function v(){if(d)return;d=!0;let n=!1,e=t((i,o)=>{n||(n=!0,c={signal:i,code:o},process.stderr.write(`alembic-review: received ${i}: review cancelled, cleaning up
`),u().finally(()=>process.exit(o)))},"handle");process.on("SIGTERM",()=>{e("SIGTERM",143)});let r=t(i=>{if(n)return;n=!0;let o=i instanceof Error?i.message:String(i);process.stderr.write(`alembic-review: internal error: ${o}. This is a bug in alembic-review; please report it.
`),process.argv.includes("--verbose")&&i instanceof Error&&process.stderr.write(`${i.stack??""}
`),u().finally(()=>process.exit(2))},"crash");process.on("uncaughtException",r),process.on("unhandledRejection",r),process.on("SIGINT",()=>{e("SIGINT",130)})}t(v,"installSignalHandlers");export{f as a,u as b,g as c,w as d,l as e,m as f,v as g};
