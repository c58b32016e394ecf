// MCP Inspector CLI invocations in one node process (tests/api/test_mcp_inspector.py).
//
// `node inspector_batch.mjs <the inspector's package directory>` reads command lines from stdin,
// one JSON list a line (each what would follow `mcp-inspector --cli`), and runs each when it
// comes, one after the other, through the inspector CLI's own `runCli` (its argument parsing,
// client and transports: what its launcher calls for `--cli`). For each it writes one line to
// stdout, a JSON object with `outcome` (the line's number, from 0), the exit code the inspector
// would have ended with (0, or the `exitCode` of its error: 5 for a tool result with `isError`)
// and that error's message. Results go where each command line's `--output` says. It ends when
// stdin does. Node and the inspector's bundle load once, not once a call, and the process can
// serve every test of a module: a command line may depend on the answers to the ones before it.

import { createInterface } from "node:readline";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const entry = join(process.argv[2], "clients", "cli", "build", "index.js");
const { runCli } = await import(pathToFileURL(entry).href);
let index = 0;
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (line.trim() === "") continue;
  const outcome = { outcome: index++, code: 0, message: "" };
  try {
    await runCli([process.argv[0], "mcp-inspector", ...JSON.parse(line)]);
  } catch (error) {
    outcome.code = typeof error?.exitCode === "number" ? error.exitCode : 1;
    outcome.message = String(error?.message ?? error);
  }
  await new Promise((resolve) => process.stdout.write(JSON.stringify(outcome) + "\n", resolve));
}
process.exit(0);
