// /docs: a small, self-contained renderer of /openapi.json. No external scripts, styles
// or fonts, so it works offline and behind a strict proxy.
#include "server/openapi.h"

namespace apex {

const std::string& docs_page_html() {
  static const std::string page = R"APEXDOCS(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>APEX API</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d1f23; background: #f6f7f9; }
  header { background: #1d1f23; color: #fff; padding: 18px 28px; }
  header h1 { margin: 0; font-size: 22px; }
  header p { margin: 4px 0 0; color: #c9ccd3; }
  main { max-width: 1100px; margin: 0 auto; padding: 18px 28px 60px; }
  h2 { text-transform: capitalize; border-bottom: 2px solid #d9dce3; padding-bottom: 4px; margin-top: 32px; }
  details { background: #fff; border: 1px solid #d9dce3; border-radius: 6px; margin: 8px 0; }
  summary { cursor: pointer; padding: 8px 12px; display: flex; gap: 12px; align-items: baseline; }
  .method { font: bold 12px monospace; padding: 2px 8px; border-radius: 4px; color: #fff; min-width: 40px; text-align: center; }
  .GET { background: #2f7d4f; } .POST { background: #2f5f9e; }
  .path { font-family: monospace; font-size: 14px; }
  .summary { color: #555b66; }
  .body { padding: 4px 16px 14px; border-top: 1px solid #eceef2; }
  table { border-collapse: collapse; width: 100%; margin: 6px 0; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eceef2; vertical-align: top; font-size: 14px; }
  code, pre, input, textarea { font-family: ui-monospace, monospace; font-size: 13px; }
  pre { background: #f1f3f6; padding: 8px; overflow: auto; max-height: 360px; border-radius: 4px; }
  input, textarea { width: 100%; box-sizing: border-box; padding: 3px 6px; }
  button { margin-top: 8px; padding: 5px 14px; cursor: pointer; }
  .status { font-weight: bold; }
  a { color: #2f5f9e; }
</style>
</head>
<body>
<header><h1 id="title">APEX API</h1><p>Generated from <a style="color:#9cc2ff" href="/openapi.json">/openapi.json</a>, which the server builds from its route table.</p></header>
<main id="main">Loading /openapi.json ...</main>
<script>
"use strict";
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) { if (k === "class") e.className = v; else e.setAttribute(k, v); }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
};
let components = {};
function describe(schema, depth = 0) {
  if (!schema) return "";
  if (schema.$ref) { const name = schema.$ref.split("/").pop(); return depth > 3 ? name : name + " " + describe(components[name], depth + 1); }
  if (schema.allOf) return describe(schema.allOf[0], depth);
  if (schema.anyOf) return schema.anyOf.map(s => describe(s, depth)).join(" | ");
  if (schema.oneOf) return schema.oneOf.map(s => describe(s, depth)).join(" | ");
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type;
  if (schema.enum) return schema.enum.map(v => JSON.stringify(v)).join(" | ");
  if (type === "array") return "[" + describe(schema.items, depth) + "]";
  if (schema.properties && depth <= 3) {
    const required = new Set(schema.required || []);
    const pad = "  ".repeat(depth + 1);
    const lines = Object.entries(schema.properties).map(([k, v]) => pad + k + (required.has(k) ? "" : "?") + ": " + describe(v, depth + 1));
    return "{\n" + lines.join(",\n") + "\n" + "  ".repeat(depth) + "}";
  }
  return type || "any";
}
function operationBlock(path, method, op) {
  const M = method.toUpperCase();
  const body = el("div", { class: "body" });
  if (op.description) body.append(el("p", {}, op.description));
  const params = op.parameters || [];
  const inputs = {};
  if (params.length) {
    const t = el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"), el("th", {}, "description"), el("th", {}, "value")));
    for (const p of params) {
      const input = el("input", { value: p.example !== undefined ? p.example : "" });
      inputs[p.name] = { input, where: p.in };
      t.append(el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in), el("td", {}, p.description || ""), el("td", {}, input)));
    }
    body.append(el("h4", {}, "Parameters"), t);
  }
  let bodyInput = null;
  if (op.requestBody) {
    const media = op.requestBody.content["application/json"];
    body.append(el("h4", {}, "Request body"), el("pre", {}, describe(media.schema)));
    bodyInput = el("textarea", { rows: 4 });
    bodyInput.value = JSON.stringify(media.example || {}, null, 1);
    body.append(bodyInput);
  }
  const rt = el("table", {}, el("tr", {}, el("th", {}, "status"), el("th", {}, "meaning"), el("th", {}, "shape")));
  for (const [status, r] of Object.entries(op.responses)) {
    const content = r.content ? Object.values(r.content)[0] : null;
    rt.append(el("tr", {}, el("td", { class: "status" }, status), el("td", {}, r.description), el("td", {}, content ? el("pre", {}, describe(content.schema)) : "")));
  }
  body.append(el("h4", {}, "Responses"), rt);
  const out = el("pre", {}, "");
  const button = el("button", {}, "Send " + M);
  button.onclick = async () => {
    let url = path;
    const query = new URLSearchParams();
    for (const [name, { input, where }] of Object.entries(inputs)) {
      if (where === "path") url = url.replace("{" + name + "}", encodeURIComponent(input.value));
      else if (input.value !== "") query.append(name, input.value);
    }
    if ([...query].length) url += "?" + query;
    out.textContent = M + " " + url + " ...";
    try {
      const res = await fetch(url, { method: M, headers: bodyInput ? { "Content-Type": "application/json" } : {}, body: bodyInput ? bodyInput.value : undefined });
      const text = await res.text();
      let shown = text;
      try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) {}
      out.textContent = M + " " + url + "\n" + res.status + " " + res.statusText + "\n\n" + shown;
    } catch (e) { out.textContent = String(e); }
  };
  body.append(button, out);
  return el("details", {}, el("summary", {}, el("span", { class: "method " + M }, M), el("span", { class: "path" }, path), el("span", { class: "summary" }, op.summary || "")), body);
}
fetch("/openapi.json").then(r => r.json()).then(doc => {
  components = (doc.components || {}).schemas || {};
  document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
  const main = document.getElementById("main");
  main.textContent = "";
  const byTag = {};
  for (const [path, ops] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(ops)) (byTag[(op.tags || ["other"])[0]] ||= []).push([path, method, op]);
  for (const tag of (doc.tags || []).map(t => t.name).concat(Object.keys(byTag))) {
    if (!byTag[tag]) continue;
    main.append(el("h2", {}, tag));
    for (const [path, method, op] of byTag[tag]) main.append(operationBlock(path, method, op));
    delete byTag[tag];
  }
}).catch(e => { document.getElementById("main").textContent = "Could not load /openapi.json: " + e; });
</script>
</body>
</html>
)APEXDOCS";
  return page;
}

}  // namespace apex
