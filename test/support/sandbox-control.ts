/**
 * The control API of the sandbox this test file's console code talks to: the shared test sandbox
 * (test/support/global-sandbox.ts), or the file's private one while it runs (test/support/private-sandbox.ts).
 */
import { type SandboxControl, sandboxControl } from "@/sandbox/control/client";
import { fileFaultScope } from "./fault-scope";
import { sandboxOrigin } from "./persona-token";
import { testSandboxControlToken } from "./test-env";

/** Fault rules this test file added, by sandbox origin. */
const addedFaults = new Map<string, Set<string>>();

/**
 * Two workers share the test sandbox. A rule added here names this file's fault scope (unless it names another), so it
 * answers only this file's calls (test/support/fault-scope.ts); `faults.clear()` removes only the rules this file added,
 * never those a test in the other worker is relying on at that moment.
 */
export function testSandbox(): SandboxControl {
  const token = testSandboxControlToken();
  if (!token) throw new Error("the test sandbox's control token is not set (GATEHOUSE_TEST_SANDBOX_CONTROL_TOKEN, see test/support/global-sandbox.ts)");
  const origin = sandboxOrigin();
  const control = sandboxControl(origin, { token });
  const added = addedFaults.get(origin) ?? new Set<string>();
  addedFaults.set(origin, added);
  return {
    ...control,
    faults: {
      ...control.faults,
      add: async (rule) => {
        const created = await control.faults.add({ ...rule, scope: rule.scope ?? fileFaultScope() });
        added.add(created.id);
        return created;
      },
      remove: async (id) => {
        await control.faults.remove(id);
        added.delete(id);
      },
      clear: async () => {
        const own = (await control.faults.list()).filter((rule) => added.has(rule.id));
        await Promise.all(own.map((rule) => control.faults.remove(rule.id)));
        added.clear();
      },
    },
  };
}
