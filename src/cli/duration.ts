import { InvalidArgumentError } from "commander";

// One rule for every duration flag (issue 10, as PHP-FPM's pool options): a bare number is
// seconds, or the number carries its unit. Fractions are allowed ("0.5", "1.5s").
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

/** Milliseconds for `30`, `30s`, `500ms`, `2m` or `1h`; throws with the accepted forms otherwise. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  const ms = match ? Number(match[1]) * UNITS[match[2] ?? "s"] : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > 2 ** 31 - 1) {
    throw new InvalidArgumentError(
      "not a duration: give seconds (30), or a number with a unit (500ms, 30s, 2m, 1h)",
    );
  }
  return Math.round(ms);
}
