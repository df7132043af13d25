import { afterEach, describe, expect, it, vi } from "vitest";

import type { BrowserAuthSettings } from "@/lib/shared/browser-auth";
import type { MsalLibrary } from "./msal-client";

const created = vi.hoisted(() => ({ count: 0, initialize: vi.fn(() => Promise.resolve()) }));
vi.mock("@azure/msal-browser", async (original) => ({
  ...(await original<MsalLibrary>()),
  PublicClientApplication: class {
    readonly config: unknown;
    constructor(config: unknown) {
      created.count += 1;
      this.config = config;
    }
    initialize = created.initialize;
  },
}));

const SETTINGS: BrowserAuthSettings = {
  clientId: "client",
  authority: "https://login.example/tenant",
  knownAuthorities: ["login.example"],
  redirectUri: "https://console.example/auth/redirect",
  postLogoutRedirectUri: "https://console.example/signin",
  apiScope: "api://gatehouse/access_as_user",
};

afterEach(() => {
  vi.resetModules();
  created.count = 0;
  created.initialize.mockReset().mockImplementation(() => Promise.resolve());
});

describe("loadMsal", () => {
  it("knows nobody before MSAL is loaded, then creates and initializes one client for the page's life", async () => {
    const { loadedMsal, loadMsal } = await import("./msal-client");
    expect(loadedMsal()).toBeUndefined();
    const [first, second] = await Promise.all([loadMsal(SETTINGS), loadMsal(SETTINGS)]);
    expect(first.client).toBe(second.client);
    expect(await loadMsal(SETTINGS)).toBe(first);
    expect(loadedMsal()).toBe(first);
    expect(created.count).toBe(1);
    expect(created.initialize).toHaveBeenCalledTimes(1);
    expect((first.client as unknown as { config: { cache: unknown } }).config.cache).toEqual({ cacheLocation: "memoryStorage" });
  });

  it("tries again on the next use when loading failed", async () => {
    created.initialize.mockImplementationOnce(() => Promise.reject(new Error("offline")));
    const { loadedMsal, loadMsal } = await import("./msal-client");
    await expect(loadMsal(SETTINGS)).rejects.toThrow("offline");
    expect(loadedMsal()).toBeUndefined();
    const loaded = await loadMsal(SETTINGS);
    expect(loadedMsal()).toBe(loaded);
    expect(created.count).toBe(2);
  });
});
