/**
 * The control API of the sandbox this test file's console code talks to: the shared test sandbox
 * (test/support/global-sandbox.ts), or the file's private one while it runs (test/support/private-sandbox.ts).
 */
import { type SandboxControl, sandboxControl } from "@/sandbox/control/client";
import { sandboxOrigin } from "./persona-token";
import { testSandboxControlToken } from "./test-env";

export function testSandbox(): SandboxControl {
  const token = testSandboxControlToken();
  if (!token) throw new Error("the test sandbox's control token is not set (GATEHOUSE_TEST_SANDBOX_CONTROL_TOKEN, see test/support/global-sandbox.ts)");
  return sandboxControl(sandboxOrigin(), { token });
}
