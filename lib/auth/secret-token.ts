import "server-only";

const PLACEHOLDER = "[SecretToken]";

/**
 * A person's bearer token, held on the server. React's Flight serializer refuses it (its `toJSON` throws, and it is
 * a class instance), so handing it to a Client Component or returning it from a server action fails the response
 * instead of sending the token; `String`, template literals and `util.inspect` show a placeholder, so it cannot slip
 * into a log or an error message either. Only `reveal()` gives the value, for the on-behalf-of exchange.
 *
 * The stable-React counterpart of `experimental_taintUniqueValue`, which needs `experimental.taint` and so React's
 * experimental release channel for the whole app (security test plan row 28).
 */
export class SecretToken {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): never {
    throw new TypeError("A SecretToken is never serialized: it must not leave the server.");
  }

  toString(): string {
    return PLACEHOLDER;
  }

  [Symbol.toPrimitive](): string {
    return PLACEHOLDER;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return PLACEHOLDER;
  }
}
