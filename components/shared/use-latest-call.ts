import { useCallback, useRef } from "react";

/**
 * For reads started by a person's choices (a principal, a bundle, a workspace): reads run side by side, so an earlier
 * one can answer after a later one. Call the returned function as a read starts; the check it hands back is true
 * while that read is still the latest, so only the answer to the current choice is shown.
 */
export function useLatestCall(): () => () => boolean {
  const latest = useRef(0);
  return useCallback(() => {
    const call = ++latest.current;
    return () => call === latest.current;
  }, []);
}
