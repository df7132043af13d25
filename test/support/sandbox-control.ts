/**
 * The control API of the sandbox this test file's console code talks to: the shared test sandbox
 * (test/support/global-sandbox.ts), or the file's private one while it runs (test/support/private-sandbox.ts).
 */
import { type SandboxControl, sandboxControl } from "@/sandbox/control/client";
import { sandboxOrigin } from "./persona-token";

export function testSandbox(): SandboxControl {
  return sandboxControl(sandboxOrigin());
}
