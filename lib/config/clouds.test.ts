import { describe, expect, it } from "vitest";

import { SANDBOX_CLOUDS } from "@/sandbox/clouds";
import { AZURE_CLOUD_NAMES, AZURE_CLOUDS, cloudOfAuthorityHost, defaultScopeOf } from "./clouds.mjs";

describe("Azure clouds", () => {
  it("the sandbox emulates the same clouds with the same resource ids and exchange audiences", () => {
    expect(Object.keys(SANDBOX_CLOUDS).sort()).toEqual([...AZURE_CLOUD_NAMES].sort());
    for (const name of AZURE_CLOUD_NAMES) {
      expect(SANDBOX_CLOUDS[name].graphResource).toBe(AZURE_CLOUDS[name].graphBaseUrl);
      expect(SANDBOX_CLOUDS[name].armResources[0]).toBe(AZURE_CLOUDS[name].armEndpoint);
      expect(SANDBOX_CLOUDS[name].tokenExchangeAudience).toBe(AZURE_CLOUDS[name].tokenExchangeAudience);
      expect(SANDBOX_CLOUDS[name].monitorResource).toBe(AZURE_CLOUDS[name].monitorResource);
    }
  });

  it("knows each cloud's login hosts and aliases, case-insensitively, and no other host", () => {
    expect(cloudOfAuthorityHost("https://login.microsoftonline.com")).toBe("public");
    expect(cloudOfAuthorityHost("https://LOGIN.microsoftonline.us/")).toBe("usgov");
    expect(cloudOfAuthorityHost("https://login.chinacloudapi.cn")).toBe("china");
    expect(cloudOfAuthorityHost("https://login.partner.microsoftonline.cn")).toBe("china");
    expect(cloudOfAuthorityHost("https://login.microsoftonline.com.evil.example")).toBeUndefined();
    expect(cloudOfAuthorityHost("not a url")).toBeUndefined();
  });

  it("a resource id's .default scope has exactly one slash before .default", () => {
    expect(defaultScopeOf("https://management.usgovcloudapi.net")).toBe("https://management.usgovcloudapi.net/.default");
    expect(defaultScopeOf("https://management.usgovcloudapi.net/")).toBe("https://management.usgovcloudapi.net/.default");
    expect(defaultScopeOf("api://AzureADTokenExchangeChina")).toBe("api://AzureADTokenExchangeChina/.default");
  });
});
