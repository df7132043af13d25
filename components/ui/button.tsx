import type { ButtonHTMLAttributes } from "react";

/**
 * The console's buttons, by what they do rather than how they look:
 * - `primary`: the one action a form or dialog exists for
 * - `secondary`: cancel, close, export and other quiet actions
 * - `danger`: an action that removes or refuses something, offered next to others
 * - `destructive`: the confirming click of a removal (inside its dialog)
 * - `warning`: a bulk clean-up that deserves a second look
 */
export type ButtonVariant = "primary" | "secondary" | "danger" | "destructive" | "warning";
export type ButtonSize = "lg" | "md" | "sm" | "xs";

const BASE = "rounded font-medium focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent disabled:opacity-60";

const VARIANTS: Record<ButtonVariant, string> = {
  primary: "bg-accent text-accent-ink",
  secondary: "border border-line bg-surface-raised hover:bg-surface-sunken",
  danger: "border border-danger/50 text-danger hover:bg-surface-sunken",
  destructive: "bg-danger text-accent-ink",
  warning: "border border-warning text-warning hover:bg-surface-sunken",
};

const SIZES: Record<ButtonSize, string> = {
  lg: "px-4 py-2",
  md: "px-3 py-1.5",
  sm: "px-2 py-1",
  xs: "px-2 py-0.5 text-xs",
};

/** The classes of a button, for elements that are not a `<Button>`: links, Radix triggers and closes. */
export function buttonClass(variant: ButtonVariant = "secondary", size: ButtonSize = "md", extra?: string): string {
  return [BASE, VARIANTS[variant], SIZES[size], extra].filter(Boolean).join(" ");
}

/** A `<button>` that submits nothing unless told to (`type="submit"`). */
export function Button({
  variant = "secondary",
  size = "md",
  className,
  type = "button",
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: ButtonVariant; size?: ButtonSize }) {
  return <button type={type} className={buttonClass(variant, size, className)} {...props} />;
}
