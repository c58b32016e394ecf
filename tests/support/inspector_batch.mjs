// Several MCP Inspector CLI invocations in one node process (tests/api/test_mcp_inspector.py).
//
// `node inspector_batch.mjs <the inspector's package directory>` reads a JSON list of command
// lines on stdin (each what would follow `mcp-inspector --cli`), runs each, one after the other,
// through the inspector CLI's own `runCli` (its argument parsing, client and transports: what
// its launcher calls for `--cli`), and prints a JSON list with, for each, the exit code the
// inspector would have ended with (0, or the `exitCode` of its error: 5 for a tool result with
// `isError`) and that error's message. Results go where each command line's `--output` says.
// Node and the inspector's bundle load once, not once a call.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const entry = join(process.argv[2], "clients", "cli", "build", "index.js");
const { runCli } = await import(pathToFileURL(entry).href);
const commandLines = JSON.parse(readFileSync(0, "utf8"));
const outcomes = [];
for (const commandLine of commandLines) {
  try {
    await runCli([process.argv[0], "mcp-inspector", ...commandLine]);
    outcomes.push({ code: 0, message: "" });
  } catch (error) {
    const code = typeof error?.exitCode === "number" ? error.exitCode : 1;
    outcomes.push({ code, message: String(error?.message ?? error) });
  }
}
process.stdout.write(JSON.stringify(outcomes), () => process.exit(0));
