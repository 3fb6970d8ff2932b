// Checks a running APEX server against its own /openapi.json:
//  1. the document is valid OpenAPI 3.1 (@apidevtools/swagger-parser: the OpenAPI
//     schema plus semantic checks such as unique operationIds and declared path params);
//  2. every documented operation, called with the documented examples, answers a
//     documented status with a body that validates against the documented schema
//     (Ajv, JSON Schema 2020-12, the dialect of OpenAPI 3.1);
//  3. the documented error answers (404 unknown track, 400 bad query value, 422 bad
//     body) are what the server sends, in the documented shapes.
// Run by tests/integration/openapi_validation_test.cpp:
//   node tests/integration/openapi_check.mjs http://127.0.0.1:PORT
// The packages come from tests/node_modules (`make node-deps`).
import SwaggerParser from "@apidevtools/swagger-parser";
import Ajv2020 from "ajv/dist/2020.js";

const base = process.argv[2];
if (!base) {
  console.error("usage: node openapi_check.mjs http://127.0.0.1:PORT");
  process.exit(2);
}

const failures = [];
let checked = 0;

const docResponse = await fetch(base + "/openapi.json");
const doc = await docResponse.json();
try {
  await SwaggerParser.validate(structuredClone(doc));
} catch (e) {
  console.error("the document is not valid OpenAPI: " + e.message);
  process.exit(1);
}
const api = await SwaggerParser.dereference(structuredClone(doc));
const ajv = new Ajv2020({ strict: false, allErrors: true });
const validators = new Map();
function validatorFor(schema) {
  if (!validators.has(schema)) validators.set(schema, ajv.compile(schema));
  return validators.get(schema);
}

function urlFor(path, op, overrides = {}) {
  let url = path;
  const query = new URLSearchParams();
  for (const p of op.parameters || []) {
    const value = p.name in overrides ? overrides[p.name] : p.example;
    if (p.in === "path") url = url.replace("{" + p.name + "}", encodeURIComponent(String(value)));
    else if (p.in === "query" && value !== undefined && value !== null) query.append(p.name, String(value));
  }
  const q = query.toString();
  return q ? url + "?" + q : url;
}

async function call(method, path, op, { overrides = {}, body, expectStatus } = {}) {
  const url = urlFor(path, op, overrides);
  const init = { method: method.toUpperCase(), headers: {} };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const res = await fetch(base + url, init);
  const text = await res.text();
  const where = `${init.method} ${url} -> ${res.status}`;
  checked++;
  const documented = op.responses[String(res.status)];
  if (!documented) return failures.push(`${where}: status not documented (${text.slice(0, 200)})`);
  if (expectStatus !== undefined && res.status !== expectStatus)
    return failures.push(`${where}: expected ${expectStatus} (${text.slice(0, 200)})`);
  if (res.status === 404 && text.includes("no route for"))
    return failures.push(`${where}: the server has no route for a documented path`);
  if (!documented.content) return;
  const [mediaType, media] = Object.entries(documented.content)[0];
  const actualType = (res.headers.get("content-type") || "").split(";")[0];
  if (actualType !== mediaType.split(";")[0])
    return failures.push(`${where}: content type ${actualType}, documented ${mediaType}`);
  if (!media.schema) return;
  let value = text;
  if (mediaType === "application/json") {
    try {
      value = JSON.parse(text);
    } catch (e) {
      return failures.push(`${where}: body is not JSON`);
    }
  }
  const validate = validatorFor(media.schema);
  if (!validate(value))
    failures.push(`${where}: body does not match the documented schema: ` + ajv.errorsText(validate.errors));
}

for (const [path, ops] of Object.entries(api.paths)) {
  for (const [method, op] of Object.entries(ops)) {
    const example = op.requestBody?.content?.["application/json"]?.example;
    // 1. As documented, with the examples.
    await call(method, path, op, { body: example });
    const params = op.parameters || [];
    // 2. An unknown track is a documented 404 with the Error shape.
    if (params.some((p) => p.name === "track"))
      await call(method, path, op, { overrides: { track: "no-such-track" }, body: example, expectStatus: 404 });
    // 3. A bad value of an integer query parameter is a documented 400.
    for (const p of params.filter((p) => p.in === "query" && p.schema?.type === "integer"))
      await call(method, path, op, { overrides: { [p.name]: "not-a-number" }, body: example, expectStatus: 400 });
    // 4. An unknown query parameter is a documented 400.
    if (method === "get") {
      const url = urlFor(path, op) + (urlFor(path, op).includes("?") ? "&" : "?") + "no_such_parameter=1";
      const res = await fetch(base + url);
      checked++;
      if (res.status !== 400 || !op.responses["400"]) failures.push(`GET ${url} -> ${res.status}: expected a documented 400`);
    }
    // 5. A body missing every field is a documented 422 naming them.
    if (op.requestBody) await call(method, path, op, { body: {}, expectStatus: 422 });
  }
}

if (failures.length) {
  console.error(`${failures.length} of ${checked} requests do not match the document:`);
  for (const f of failures) console.error("  " + f);
  process.exit(1);
}
console.log(`OpenAPI ${doc.openapi} document valid; ${Object.keys(api.paths).length} paths, ${checked} requests match it`);
