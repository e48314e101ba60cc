// Checks HTTP requests (and the fake's responses) against GitHub's OpenAPI
// description: the vendored subset of @octokit/openapi in
// __tests__/fixtures/github/openapi-subset.json (make-openapi-subset.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { default as formatsPlugin } from 'ajv-formats';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: JsonObject;
}

interface Operation {
  method: string;
  template: string;
  operationId: string;
  pattern: RegExp;
  pathNames: string[];
  parameters: Parameter[];
  body: ValidateFunction | null;
  bodyRequired: boolean;
  responses: Map<number, ValidateFunction | null>;
}

export interface MatchedRequest {
  operationId: string;
  template: string;
  params: Record<string, string>;
}

const spec = JSON.parse(
  readFileSync(path.join(import.meta.dirname, '../fixtures/github/openapi-subset.json'), 'utf8'),
) as {
  paths: Record<string, Record<string, JsonObject>>;
  components: Record<string, Record<string, JsonObject>>;
};

const ajv = new Ajv({ strict: false, allErrors: true, discriminator: false });
formatsPlugin.default(ajv);
// Component schemas are referenced as "#/components/...": keep them in one document.
ajv.addSchema({ $id: 'github', components: spec.components as unknown as JsonObject });

function rebase(value: Json): Json {
  if (Array.isArray(value)) return value.map(rebase);
  if (value === null || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = key === '$ref' && typeof child === 'string' ? `github${child}` : rebase(child);
  }
  return out;
}

function resolve(value: JsonObject): JsonObject {
  const ref = value.$ref;
  if (typeof ref !== 'string') return value;
  const [, , kind, name] = ref.split('/');
  const target = kind === undefined || name === undefined ? undefined : spec.components[kind]?.[name];
  if (target === undefined) throw new Error(`dangling ${ref}`);
  return resolve(target);
}

function jsonSchemaOf(content: Json | undefined): ValidateFunction | null {
  if (content === undefined || content === null || typeof content !== 'object' || Array.isArray(content))
    return null;
  const json = content['application/json'];
  if (json === undefined || json === null || typeof json !== 'object' || Array.isArray(json)) return null;
  const schema = json.schema;
  if (schema === undefined || schema === null || typeof schema !== 'object' || Array.isArray(schema))
    return null;
  return ajv.compile(rebase(schema) as JsonObject);
}

const operations: Operation[] = [];
for (const [template, methods] of Object.entries(spec.paths)) {
  for (const [method, raw] of Object.entries(methods)) {
    const pathNames: string[] = [];
    const pattern = new RegExp(
      `^${template.replace(/\{([^}]+)\}/g, (_, name: string) => {
        pathNames.push(name);
        return '([^/]+)';
      })}$`,
    );
    const parameters = ((raw.parameters ?? []) as JsonObject[]).map(
      (p) => resolve(p) as unknown as Parameter,
    );
    const requestBody = raw.requestBody === undefined ? undefined : resolve(raw.requestBody as JsonObject);
    const responses = new Map<number, ValidateFunction | null>();
    for (const [status, response] of Object.entries(raw.responses as JsonObject)) {
      responses.set(Number(status), jsonSchemaOf(resolve(response as JsonObject).content));
    }
    operations.push({
      method: method.toUpperCase(),
      template,
      operationId: String(raw.operationId),
      pattern,
      pathNames,
      parameters,
      body: jsonSchemaOf(requestBody?.content),
      bodyRequired: requestBody?.required === true,
      responses,
    });
  }
}

function problems(validate: ValidateFunction, where: string): string[] {
  return (validate.errors ?? []).map(
    (e) => `${where}${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
  );
}

function coerce(value: string, schema: JsonObject): Json {
  if (schema.type === 'integer' || schema.type === 'number')
    return value.trim() === '' ? value : Number(value);
  if (schema.type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

function find(
  method: string,
  pathname: string,
): { operation: Operation; params: Record<string, string> } | null {
  for (const operation of operations) {
    if (operation.method !== method) continue;
    const match = operation.pattern.exec(pathname);
    if (match === null) continue;
    const params: Record<string, string> = {};
    operation.pathNames.forEach((name, i) => {
      params[name] = decodeURIComponent(match[i + 1] ?? '');
    });
    return { operation, params };
  }
  return null;
}

/** Validates a request; returns the operation it is, and what is wrong with it. */
export function checkRequest(
  method: string,
  url: URL,
  body: unknown,
): { matched: MatchedRequest | null; problems: string[] } {
  const found = find(method, url.pathname);
  if (found === null)
    return {
      matched: null,
      problems: [`${method} ${url.pathname} is not an operation of the OpenAPI subset`],
    };
  const { operation, params } = found;
  const issues: string[] = [];
  for (const parameter of operation.parameters) {
    const raw =
      parameter.in === 'path'
        ? params[parameter.name]
        : parameter.in === 'query'
          ? url.searchParams.get(parameter.name)
          : null;
    if (parameter.in === 'header') continue;
    if (raw === null || raw === undefined) {
      if (parameter.required === true)
        issues.push(`${operation.operationId}: missing ${parameter.in} parameter ${parameter.name}`);
      continue;
    }
    const validate = ajv.compile(rebase(parameter.schema) as JsonObject);
    if (!validate(coerce(raw, parameter.schema)))
      issues.push(...problems(validate, `${operation.operationId} ${parameter.name}`));
  }
  for (const name of url.searchParams.keys()) {
    if (!operation.parameters.some((p) => p.in === 'query' && p.name === name)) {
      issues.push(`${operation.operationId}: unknown query parameter ${name}`);
    }
  }
  if (body === undefined) {
    if (operation.bodyRequired) issues.push(`${operation.operationId}: the request body is required`);
  } else if (operation.body === null) {
    issues.push(`${operation.operationId}: takes no request body`);
  } else if (!operation.body(body)) {
    issues.push(...problems(operation.body, `${operation.operationId} body`));
  }
  return {
    matched: { operationId: operation.operationId, template: operation.template, params },
    problems: issues,
  };
}

/** Validates a response the fake is about to send (documented status, body schema). */
export function checkResponse(operationId: string, status: number, body: unknown): string[] {
  const operation = operations.find((o) => o.operationId === operationId);
  if (operation === undefined) return [`unknown operation ${operationId}`];
  if (!operation.responses.has(status)) return [`${operationId}: status ${status} is not documented`];
  const validate = operation.responses.get(status);
  if (validate === undefined || validate === null || body === undefined) return [];
  return validate(body) ? [] : problems(validate, `${operationId} response ${status}`);
}
