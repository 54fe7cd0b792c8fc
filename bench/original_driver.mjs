// Times the original's pipeline (classifyRestrictedData + prompt redaction) on texts given as JSON.
// Usage: node bench/original_driver.mjs <package dir> <input.json>; input = {"lines": [...], "bulk": "..."}.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [pkg, input] = process.argv.slice(2);
const { classifyRestrictedData } = await import(pathToFileURL(join(pkg, "dist/security/restricted-data-classifier.js")));
const { redactPromptSegment } = await import(pathToFileURL(join(pkg, "dist/security/redaction.js")));
const { intakePromptSegment } = await import(pathToFileURL(join(pkg, "dist/security/prompt-intake.js")));
const data = JSON.parse(readFileSync(input, "utf8"));

function pipeline(text) {
  const restricted = classifyRestrictedData(text);
  return redactPromptSegment(intakePromptSegment({ id: "s1", kind: "data", text: restricted.redactedText }));
}

const bytes = (xs) => xs.reduce((n, s) => n + Buffer.byteLength(s), 0);
for (const line of data.lines.slice(0, 2000)) pipeline(line); // warm up
let t = process.hrtime.bigint();
for (const line of data.lines) pipeline(line);
const lineSec = Number(process.hrtime.bigint() - t) / 1e9;
const chunks = [];
for (let i = 0; i < data.bulk.length; i += 16384) chunks.push(data.bulk.slice(i, i + 16384));
t = process.hrtime.bigint();
for (const c of chunks) pipeline(c);
const bulkSec = Number(process.hrtime.bigint() - t) / 1e9;
console.log(JSON.stringify({
  per_line_mb_s: bytes(data.lines) / lineSec / 1e6,
  per_line_us: (lineSec / data.lines.length) * 1e6,
  bulk_mb_s: bytes(chunks) / bulkSec / 1e6,
}));
