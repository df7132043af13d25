import type { Bucket } from "@/lib/shared/credentials";

/** The text colour of each bucket: red for expired or about to, amber for soon or too long-lived, green for fine. */
export const BUCKET_TONE: Record<Bucket, string> = {
  expired: "text-danger",
  within1: "text-danger",
  within2: "text-warning",
  within3: "text-warning",
  longLived: "text-warning",
  healthy: "text-success",
  secretless: "text-success",
};
