#!/usr/bin/env node
import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{a as d}from"./chunks/chunk-PL6PJ7HL.js";import{spawn as u}from"node:child_process";import{existsSync as f}from"node:fs";import o from"node:path";import{fileURLToPath as N}from"node:url";var c=22;async function a(m){if(Number(process.versions.node.split(".")[0])>=c||process.env.ALEMBIC_REVIEW_NODE_HANDOVER==="1")return null;let n=o.dirname(N(import.meta.url)),r=[o.join(n,"..","node_modules",".bin","node"),o.join(n,"..","..","node_modules",".bin","node")].find(e=>f(e)),s=process.argv[1];if(r===void 0||s===void 0)return process.stderr.write(`alembic-review: Node ${process.versions.node} is too old: Node ${c} or newer is needed (run \`npm install\` in the clone to get Node 24 as node_modules/.bin/node).
`),2;let i=u(r,[s,...m],{stdio:"inherit",env:{...process.env,ALEMBIC_REVIEW_NODE_HANDOVER:"1"}});for(let e of["SIGTERM","SIGINT"])process.on(e,()=>{i.kill(e)});return new Promise(e=>{i.on("exit",(p,t)=>{e(p??(t==="SIGTERM"?143:t==="SIGINT"?130:2))})})}d(a,"handOverToNewerNode");var l=await a(process.argv.slice(2));l!==null&&process.exit(l);var{cancellation:v,installSignalHandlers:w}=await import("./chunks/teardown-JTYFTKPH.js");w();var{runCli:E}=await import("./chunks/program-YU7RB4ZA.js"),I=await E(process.argv.slice(2));process.exit(v()?.code??I);
