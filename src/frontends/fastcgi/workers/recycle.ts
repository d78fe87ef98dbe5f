/**
 * `--max-requests R --max-requests-jitter J` and `--max-rss MB` (issue 10 §2): when a worker is
 * past a limit it is replaced through the same path as a reload, one at a time. The jitter
 * spreads the limits so workers that started together are not recycled together (gunicorn
 * added it for that, PR #862).
 */
export interface RecycleLimits {
  maxRequests?: number;
  maxRequestsJitter?: number;
  /** MiB. */
  maxRssMb?: number;
}

/** One worker's request limit: R plus a whole number in [0, J], or null without R. */
export function requestLimit(
  limits: RecycleLimits,
  random: () => number = Math.random,
): number | null {
  const { maxRequests, maxRequestsJitter = 0 } = limits;
  if (!maxRequests) return null;
  return maxRequests + Math.floor(random() * (maxRequestsJitter + 1));
}

/** Why a worker should be recycled, from its heartbeat, or null. */
export function overLimit(limits: RecycleLimits, rssBytes: number): string | null {
  const { maxRssMb } = limits;
  if (maxRssMb && rssBytes > maxRssMb * 1024 * 1024) {
    return `RSS ${Math.round(rssBytes / 1024 / 1024)} MiB over --max-rss ${maxRssMb}`;
  }
  return null;
}
