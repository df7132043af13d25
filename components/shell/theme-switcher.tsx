"use client";

import { useState } from "react";

import { parseTheme, THEME_COOKIE, THEMES, type Theme } from "@/lib/shared/theme";

const LABELS: Record<Theme, string> = { system: "System", light: "Light", dark: "Dark" };

/** Switches the colour theme at once and remembers it in a cookie so the server renders it next time. */
export function ThemeSwitcher({ initialTheme }: { initialTheme: Theme }) {
  const [theme, setTheme] = useState<Theme>(initialTheme);

  function choose(next: Theme) {
    setTheme(next);
    document.documentElement.dataset.theme = next;
    document.cookie = `${THEME_COOKIE}=${next}; Path=/; Max-Age=31536000; SameSite=Lax`;
  }

  return (
    <label className="flex items-center gap-2 text-ink-muted">
      <span className="sr-only sm:not-sr-only">Theme</span>
      <select
        value={theme}
        onChange={(event) => choose(parseTheme(event.target.value))}
        className="rounded border border-line bg-surface-raised px-2 py-1 text-ink"
      >
        {THEMES.map((value) => (
          <option key={value} value={value}>
            {LABELS[value]}
          </option>
        ))}
      </select>
    </label>
  );
}
