// Validate Kubernetes objects against the Kubernetes OpenAPI schema, offline,
// with the validators that the npm package kubernetes-models ships (one per
// apiVersion/kind). Reads [{file, doc}] as JSON on stdin; prints "ok FILE
// KIND" or "FAIL FILE KIND: errors" per object; exit 1 when any fails.
// NODE_PATH must point at the node_modules that holds kubernetes-models.
"use strict";
const fs = require("fs");
const items = JSON.parse(fs.readFileSync(0, "utf8"));
let failed = 0;
for (const { file, doc } of items) {
  const [group, version] = doc.apiVersion.includes("/") ? doc.apiVersion.split("/") : [null, doc.apiVersion];
  const mod = `kubernetes-models/${group ? group + "/" : ""}${version}/${doc.kind}`;
  let Model;
  try {
    Model = require(mod)[doc.kind];
  } catch (e) {
    console.log(`FAIL ${file} ${doc.kind}: no schema for ${doc.apiVersion} ${doc.kind}`);
    failed++;
    continue;
  }
  try {
    new Model(doc).validate();
    console.log(`ok ${file} ${doc.kind}`);
  } catch (e) {
    console.log(`FAIL ${file} ${doc.kind}: ${e.message}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
