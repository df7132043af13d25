import { defineConfig } from "vitest/config";

import base from "../vitest.config";

/** Only the in-process CPU harness (it is not part of the test suite). */
export default defineConfig({ ...base, test: { ...base.test, include: ["bench/action-cpu*.harness.ts"], maxWorkers: 1 } });
