/** What the sandbox's Entra remembers between requests: codes, refresh tokens, sign-in sessions, step-up demands. */
import { randomBytes } from "node:crypto";
import { type AuthMethods, PASSWORD_ONLY } from "./tokens";

export interface AuthorizationCode {
  readonly clientId: string;
  readonly redirectUri: string;
  /** Issued to a SPA redirect URI: redemption must be cross-origin and PKCE is mandatory. */
  readonly isSpa: boolean;
  /** Issued to a public-client (mobile and desktop) redirect URI: redeemed without a client credential. */
  readonly isPublicClient: boolean;
  readonly codeChallenge: string | undefined;
  readonly codeChallengeMethod: string | undefined;
  readonly userObjectId: string;
  readonly scope: string;
  readonly nonce: string | undefined;
  readonly authTime: Date;
  readonly authMethods: AuthMethods;
  /** Authentication contexts the sign-in was asked for (claims request) and satisfied: the access token's `acrs`. */
  readonly acrs?: readonly string[];
  readonly expiresAt: Date;
  redeemed: boolean;
}

export interface RefreshTokenGrant {
  readonly clientId: string;
  readonly userObjectId: string;
  readonly isSpa: boolean;
  readonly isPublicClient: boolean;
  readonly scope: string;
  readonly authTime: Date;
  readonly authMethods: AuthMethods;
  readonly expiresAt: Date;
}

export interface SignInSession {
  readonly userObjectId: string;
  readonly authTime: Date;
  readonly authMethods: AuthMethods;
}

/** A forced `interaction_required` for one user (e.g. Conditional Access demanding MFA). */
export interface InteractionDemand {
  readonly errorCode: number;
  readonly suberror: string | undefined;
  readonly claims: string;
}

/** Codes live five minutes, like Entra's (which documents "about 10 minutes" but redeems far sooner in practice). */
export const AUTHORIZATION_CODE_LIFETIME_MS = 5 * 60 * 1000;
/**
 * "The default lifetime for the refresh tokens is 24 hours for single page apps and 90 days for all other scenarios"
 * (learn.microsoft.com/entra/identity-platform/refresh-tokens). An SPA's refresh token does not slide: the ones it is
 * exchanged for keep the first one's end ("non-sliding", msal-browser docs/token-lifetimes.md), after which the SPA
 * must sign in again: AADSTS700084, whose wording is AzureAD/microsoft-authentication-library-for-js#6765's.
 */
export const REFRESH_TOKEN_LIFETIME_MS = 90 * 24 * 3600 * 1000;
export const SPA_REFRESH_TOKEN_LIFETIME_MS = 24 * 3600 * 1000;
const EXPIRED_REFRESH_TOKEN_MEMORY_MS = 7 * 24 * 3600 * 1000;

export const DEFAULT_INTERACTION_CLAIMS = JSON.stringify({
  access_token: { capolids: { essential: true, values: ["c0a5e11c-a000-4000-8000-00000000000a"] } },
});

export class EntraState {
  readonly codes = new Map<string, AuthorizationCode>();
  readonly refreshTokens = new Map<string, RefreshTokenGrant>();
  readonly sessions = new Map<string, SignInSession>();
  /** By user object id. */
  readonly interactionDemands = new Map<string, InteractionDemand>();

  clear(): void {
    this.codes.clear();
    this.refreshTokens.clear();
    this.sessions.clear();
    this.interactionDemands.clear();
  }

  issueCode(code: Omit<AuthorizationCode, "redeemed">): string {
    const value = randomBytes(48).toString("base64url");
    this.codes.set(value, { ...code, redeemed: false });
    return value;
  }

  /** Drops codes long past expiry so the map does not grow without bound. */
  sweep(now: Date): void {
    for (const [value, code] of this.codes) {
      if (code.expiresAt.getTime() + AUTHORIZATION_CODE_LIFETIME_MS < now.getTime()) this.codes.delete(value);
    }
    // Expired refresh tokens stay a while, so that redeeming one says it expired (AADSTS700082/700084), not unknown.
    for (const [value, grant] of this.refreshTokens) {
      if (grant.expiresAt.getTime() + EXPIRED_REFRESH_TOKEN_MEMORY_MS < now.getTime()) this.refreshTokens.delete(value);
    }
  }

  /** Refresh tokens and sessions, for `state.json` (codes are too short-lived to be worth keeping). */
  snapshot(): EntraStateSnapshot {
    return {
      refreshTokens: [...this.refreshTokens].map(([token, grant]) => [
        token,
        { ...grant, authTime: grant.authTime.toISOString(), expiresAt: grant.expiresAt.toISOString() },
      ]),
      sessions: [...this.sessions].map(([id, session]) => [
        id,
        { userObjectId: session.userObjectId, authTime: session.authTime.toISOString(), authMethods: session.authMethods },
      ]),
    };
  }

  restore(snapshot: EntraStateSnapshot): void {
    this.clear();
    for (const [token, grant] of snapshot.refreshTokens) {
      // Snapshots saved before MFA was tracked hold password-only sign-ins.
      const authMethods = grant.authMethods ?? PASSWORD_ONLY;
      // …and before public clients were modelled, none came from one.
      this.refreshTokens.set(token, {
        ...grant,
        authMethods,
        isPublicClient: grant.isPublicClient ?? false,
        authTime: new Date(grant.authTime),
        expiresAt: new Date(grant.expiresAt),
      });
    }
    for (const [id, session] of snapshot.sessions) {
      this.sessions.set(id, { userObjectId: session.userObjectId, authTime: new Date(session.authTime), authMethods: session.authMethods ?? PASSWORD_ONLY });
    }
  }
}

// `authMethods` and `isPublicClient` are optional: snapshots saved before MFA / public clients were tracked lack them.
type Serialised<T> = { [K in Exclude<keyof T, "authMethods" | "isPublicClient">]: T[K] extends Date ? string : T[K] } & {
  readonly authMethods?: AuthMethods;
  readonly isPublicClient?: boolean;
};

export interface EntraStateSnapshot {
  readonly refreshTokens: ReadonlyArray<readonly [string, Serialised<RefreshTokenGrant>]>;
  readonly sessions: ReadonlyArray<readonly [string, Serialised<SignInSession>]>;
}
