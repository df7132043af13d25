import "server-only";

import packageJson from "@/package.json";

/** The running console's version, from package.json. */
export const GATEHOUSE_VERSION: string = packageJson.version;
