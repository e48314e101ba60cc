import { createRequire as __createRequire } from 'node:module';
import { fileURLToPath as __fileURLToPath } from 'node:url';
import { dirname as __pathDirname } from 'node:path';
const require = __createRequire(import.meta.url);
const __filename = __fileURLToPath(import.meta.url);
const __dirname = __pathDirname(__filename);
import{q as r,t as l}from"./chunk-YYODUC57.js";import"./chunk-EJU6ZZA3.js";import{a}from"./chunk-PL6PJ7HL.js";var g=[{category:"graph",title:"graph: the revision graph of the change"},{category:"lint",title:"lint: the SQL the migrations emit"},{category:"runtime",title:"runtime: what the replay with rows observed"},{category:"drift",title:"drift: the migrated schema against the models"},{category:"roundtrip",title:"roundtrip: downgrade and upgrade again"}];function c(){let i=Math.max(...r.map(o=>o.id.length)),s=" ".repeat(2+i+2+7+2),e=[`${r.length} rules: id, default severity, summary, documentation`,""];for(let{category:o,title:d}of g){let n=r.filter(t=>t.category===o);e.push(`${d} (${n.length})`);for(let t of n)e.push(`  ${t.id.padEnd(i)}  ${t.defaultSeverity.padEnd(7)}  ${t.summary}`),e.push(`${s}${l(t.id)}`);e.push("")}return e.push("Change a severity, or turn a rule off, in pyproject.toml:","  [tool.alembic-review.rules]",'  drop-column = "error"        # error | warning | notice | off',"Silence one finding with a comment on the op's line or the line above:","  # alembic-review: ignore[rule-id] the reason",""),e.join(`
`)}a(c,"printRules");export{c as printRules};
