import type { AppError } from "@/lib/errors";

/** What a refused operation threw, in the terms tests compare: the code, the refusal's reason, and what people read. */
export interface Refusal {
  readonly code: AppError["code"];
  /** The name after `refused: ` in the internal message (e.g. `self_approval`), or the whole message. */
  readonly reason: string;
  readonly userMessage: string;
  readonly fieldErrors: Readonly<Record<string, readonly string[]>> | undefined;
}

/** By name, not `instanceof`: a test that imports the modules afresh has its own copy of the class. */
function refusalFrom(error: unknown): Refusal {
  if (!(error instanceof Error && error.name === "AppError")) throw error;
  const { code, message, userMessage, fieldErrors } = error as AppError;
  return { code, reason: message.replace(/^refused: /, ""), userMessage, fieldErrors };
}

/** The refusal `operation` throws; fails the test when it succeeds or fails with anything but an `AppError`. */
export async function refusalOf(operation: Promise<unknown>): Promise<Refusal> {
  try {
    await operation;
  } catch (error) {
    return refusalFrom(error);
  }
  throw new Error("expected the operation to be refused, but it succeeded");
}

/** Races: which operations were carried out and which were refused (anything else thrown fails the test). */
export async function settle<T>(operations: readonly Promise<T>[]): Promise<{ readonly done: T[]; readonly refused: Refusal[] }> {
  const outcomes = await Promise.allSettled(operations);
  return {
    done: outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : [])),
    refused: outcomes.flatMap((outcome) => (outcome.status === "rejected" ? [refusalFrom(outcome.reason)] : [])),
  };
}
