#!/usr/bin/env node
import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{a as c}from"./chunks/chunk-MGHDI5IN.js";import{a}from"./chunks/chunk-PL6PJ7HL.js";import w from"node:module";import v from"node:path";import{spawn as f}from"node:child_process";import{existsSync as N}from"node:fs";import o from"node:path";import{fileURLToPath as h}from"node:url";var d=22;async function l(p){if(Number(process.versions.node.split(".")[0])>=d||process.env.ALEMBIC_REVIEW_NODE_HANDOVER==="1")return null;let n=o.dirname(h(import.meta.url)),r=[o.join(n,"..","node_modules",".bin","node"),o.join(n,"..","..","node_modules",".bin","node")].find(e=>N(e)),i=process.argv[1];if(r===void 0||i===void 0)return process.stderr.write(`alembic-review: Node ${process.versions.node} is too old: Node ${d} or newer is needed (run \`npm install\` in the clone to get Node 24 as node_modules/.bin/node).
`),2;let s=f(r,[i,...p],{stdio:"inherit",env:{...process.env,ALEMBIC_REVIEW_NODE_HANDOVER:"1"}});for(let e of["SIGTERM","SIGINT"])process.on(e,()=>{s.kill(e)});return new Promise(e=>{s.on("exit",(u,t)=>{e(u??(t==="SIGTERM"?143:t==="SIGINT"?130:2))})})}a(l,"handOverToNewerNode");var m=await l(process.argv.slice(2));m!==null&&process.exit(m);w.enableCompileCache?.(v.join(c(),"node-compile-cache"));var{cancellation:E,installSignalHandlers:I}=await import("./chunks/teardown-JTYFTKPH.js");I();var{runCli:_}=await import("./chunks/program-JW5APWDW.js"),M=await _(process.argv.slice(2));process.exit(E()?.code??M);
