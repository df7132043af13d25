/**
 * A small OData `$filter` parser for the forms directory clients use: `eq`/`ne`/`ge`/`le`/`gt`/`lt`, `in (…)`,
 * `startswith(p,'x')`, `endswith(p,'x')`, `p/any(x:x eq 'v')`, `not`, `and`, `or` and parentheses.
 * Directory string comparisons are case-insensitive, as in Entra.
 */
import type { GraphObject } from "./entities";

export type FilterPredicate = (object: GraphObject) => boolean;

export interface ParsedFilter {
  readonly predicate: FilterPredicate;
  /** Top-level property names used (for "unsupported property" checks). */
  readonly properties: readonly string[];
  /** Operators that Graph only allows as advanced queries (`ne`, `not`, `endsWith`). */
  readonly advancedOperators: readonly string[];
  /** Lambda (`any`) queries on credential collections, which Graph rejects as complex queries. */
  readonly lambdaProperties: readonly string[];
}

export class FilterSyntaxError extends Error {}

type Literal = string | number | boolean | null;

interface Token {
  readonly kind: "word" | "string" | "punct";
  readonly text: string;
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i] as string;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "'") {
      let value = "";
      i++;
      for (;;) {
        if (i >= input.length) throw new FilterSyntaxError("Unterminated string literal.");
        if (input[i] === "'" && input[i + 1] === "'") {
          value += "'";
          i += 2;
        } else if (input[i] === "'") {
          i++;
          break;
        } else {
          value += input[i];
          i++;
        }
      }
      tokens.push({ kind: "string", text: value });
    } else if ("(),:".includes(ch)) {
      tokens.push({ kind: "punct", text: ch });
      i++;
    } else {
      // Date-times are unquoted in OData and contain ':', which otherwise separates lambda variables.
      const match = /^\d{4}-\d{2}-\d{2}T[\d:.]+Z?/i.exec(input.slice(i)) ?? /^[^\s(),:']+/.exec(input.slice(i));
      const text = match?.[0] ?? ch;
      tokens.push({ kind: "word", text });
      i += text.length;
    }
  }
  return tokens;
}

function propertyValue(object: GraphObject, path: string): unknown {
  let current: unknown = object;
  for (const segment of path.split("/")) {
    if (typeof current !== "object" || current === null) return undefined;
    const record = current as Record<string, unknown>;
    const key = Object.keys(record).find((k) => k.toLowerCase() === segment.toLowerCase());
    current = key === undefined ? undefined : record[key];
  }
  return current;
}

function normalise(value: unknown): unknown {
  return typeof value === "string" ? value.toLowerCase() : value;
}

function compare(op: string, left: unknown, right: Literal): boolean {
  const l = normalise(left);
  const r = normalise(right);
  switch (op) {
    case "eq":
      return l === r || (l === undefined && r === null);
    case "ne":
      return !(l === r || (l === undefined && r === null));
    case "ge":
    case "gt":
    case "le":
    case "lt": {
      if (l === null || l === undefined || r === null) return false;
      const a = l as string | number;
      const b = r as string | number;
      if (op === "ge") return a >= b;
      if (op === "gt") return a > b;
      if (op === "le") return a <= b;
      return a < b;
    }
    default:
      throw new FilterSyntaxError(`Unsupported operator '${op}'.`);
  }
}

class Parser {
  private position = 0;
  readonly properties: string[] = [];
  readonly advancedOperators: string[] = [];
  readonly lambdaProperties: string[] = [];

  constructor(private readonly tokens: Token[]) {}

  parse(): FilterPredicate {
    const predicate = this.parseOr();
    if (this.position < this.tokens.length) throw new FilterSyntaxError(`Unexpected '${this.peek()?.text ?? ""}'.`);
    return predicate;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private next(): Token {
    const token = this.tokens[this.position++];
    if (!token) throw new FilterSyntaxError("Unexpected end of filter.");
    return token;
  }

  private expect(text: string): void {
    const token = this.next();
    if (token.text.toLowerCase() !== text) throw new FilterSyntaxError(`Expected '${text}' but found '${token.text}'.`);
  }

  private isWord(text: string): boolean {
    const token = this.peek();
    return token?.kind === "word" && token.text.toLowerCase() === text;
  }

  private parseOr(): FilterPredicate {
    let left = this.parseAnd();
    while (this.isWord("or")) {
      this.position++;
      const a = left;
      const b = this.parseAnd();
      left = (o) => a(o) || b(o);
    }
    return left;
  }

  private parseAnd(): FilterPredicate {
    let left = this.parseUnary();
    while (this.isWord("and")) {
      this.position++;
      const a = left;
      const b = this.parseUnary();
      left = (o) => a(o) && b(o);
    }
    return left;
  }

  private parseUnary(): FilterPredicate {
    if (this.isWord("not")) {
      this.position++;
      this.advancedOperators.push("not");
      const inner = this.parseUnary();
      return (o) => !inner(o);
    }
    return this.parsePrimary();
  }

  private parseLiteral(): Literal {
    const token = this.next();
    if (token.kind === "string") return token.text;
    if (token.kind !== "word") throw new FilterSyntaxError(`Expected a value but found '${token.text}'.`);
    const lower = token.text.toLowerCase();
    if (lower === "true") return true;
    if (lower === "false") return false;
    if (lower === "null") return null;
    if (/^-?\d+(\.\d+)?$/.test(token.text)) return Number(token.text);
    // Unquoted date-times and GUIDs compare as text.
    if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/i.test(token.text) || /^[0-9a-f-]{36}$/i.test(token.text)) return token.text;
    throw new FilterSyntaxError(`Invalid literal '${token.text}'.`);
  }

  private recordProperty(path: string): void {
    this.properties.push(path.split("/")[0] ?? path);
  }

  private parsePrimary(): FilterPredicate {
    const token = this.next();
    if (token.kind === "punct" && token.text === "(") {
      const inner = this.parseOr();
      this.expect(")");
      return inner;
    }
    if (token.kind !== "word") throw new FilterSyntaxError(`Unexpected '${token.text}'.`);
    const lower = token.text.toLowerCase();
    if ((lower === "startswith" || lower === "endswith") && this.peek()?.text === "(") {
      this.position++;
      const property = this.next().text;
      this.expect(",");
      const value = this.parseLiteral();
      this.expect(")");
      this.recordProperty(property);
      if (lower === "endswith") this.advancedOperators.push("endsWith");
      const needle = String(value).toLowerCase();
      return (o) => {
        const actual = propertyValue(o, property);
        if (typeof actual !== "string") return false;
        const hay = actual.toLowerCase();
        return lower === "startswith" ? hay.startsWith(needle) : hay.endsWith(needle);
      };
    }
    const anyMatch = /^(.+)\/any$/i.exec(token.text);
    if (anyMatch?.[1]) return this.parseLambda(anyMatch[1]);
    const property = token.text;
    this.recordProperty(property);
    const operator = this.next().text.toLowerCase();
    if (operator === "in") {
      this.expect("(");
      const values: Literal[] = [this.parseLiteral()];
      while (this.peek()?.text === ",") {
        this.position++;
        values.push(this.parseLiteral());
      }
      this.expect(")");
      const wanted = new Set(values.map(normalise));
      return (o) => wanted.has(normalise(propertyValue(o, property)));
    }
    if (!["eq", "ne", "ge", "gt", "le", "lt"].includes(operator)) {
      throw new FilterSyntaxError(`Unsupported operator '${operator}'.`);
    }
    if (operator === "ne") this.advancedOperators.push("ne");
    const value = this.parseLiteral();
    return (o) => compare(operator, propertyValue(o, property), value);
  }

  /** `collection/any(x: x eq 'v')` or `collection/any(x: startswith(x,'v'))` over string collections. */
  private parseLambda(collection: string): FilterPredicate {
    this.recordProperty(collection);
    this.lambdaProperties.push(collection);
    this.expect("(");
    const variable = this.next().text;
    this.expect(":");
    const head = this.next();
    let test: (item: unknown) => boolean;
    if (head.text.toLowerCase() === "startswith") {
      this.expect("(");
      this.next();
      this.expect(",");
      const needle = String(this.parseLiteral()).toLowerCase();
      this.expect(")");
      test = (item) => typeof item === "string" && item.toLowerCase().startsWith(needle);
    } else {
      const [itemPath] = head.text.split("/").slice(1);
      if (head.text.split("/")[0] !== variable) throw new FilterSyntaxError(`Unknown lambda variable '${head.text}'.`);
      const operator = this.next().text.toLowerCase();
      const value = this.parseLiteral();
      test = (item) => compare(operator, itemPath && typeof item === "object" && item !== null ? propertyValue(item as GraphObject, itemPath) : item, value);
    }
    this.expect(")");
    return (o) => {
      const items = propertyValue(o, collection);
      return Array.isArray(items) && items.some(test);
    };
  }
}

export function parseFilter(text: string): ParsedFilter {
  const parser = new Parser(tokenize(text));
  const predicate = parser.parse();
  return {
    predicate,
    properties: parser.properties,
    advancedOperators: parser.advancedOperators,
    lambdaProperties: parser.lambdaProperties,
  };
}
