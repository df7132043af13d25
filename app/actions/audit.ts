"use server";

import { z } from "zod";

import { serverAction } from "@/lib/actions/server-action";
import { verifyChainNow } from "@/lib/audit/chain-status";

/** Walks the audit hash chain now (read-only) and returns the result the audit page shows. */
export const verifyAuditChain = serverAction("verifyAuditChain", z.undefined(), async () => verifyChainNow());
