/** What a request asks for, in words: its role, or "Data scientist bundle" for a bundle request (whose role columns hold the bundle's workspace role). */
export function requestedAccess(request: { readonly roleName: string; readonly bundleName?: string | null }): string {
  return request.bundleName ? `${request.bundleName} bundle` : request.roleName;
}
