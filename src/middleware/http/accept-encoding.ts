/**
 * Accept-Encoding (RFC 9110 §12.5.3) with q-values (§12.4.2): which of the codings a server
 * has (precompressed files, say) the client prefers, or identity.
 */

/** Coding name -> q-value, from an Accept-Encoding field value. */
export function parseAcceptEncoding(value: string): Map<string, number> {
  const weights = new Map<string, number>();
  for (const member of value.split(",")) {
    const [name, ...params] = member.split(";").map((s) => s.trim());
    if (!name) continue;
    let q = 1;
    for (const param of params) {
      const m = /^q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/i.exec(param);
      if (/^q\s*=/i.test(param)) q = m ? Number(m[1]) : 0;
    }
    // §8.4.1.3: x-gzip is gzip; x-compress is compress.
    const coding = name.toLowerCase().replace(/^x-(gzip|compress)$/, "$1");
    // A repeated coding: the first one counts.
    if (!weights.has(coding)) weights.set(coding, q);
  }
  return weights;
}

/** The q-value the field gives a coding: its own, else `*`'s, else 0 (identity: 1). */
export function qualityOf(weights: Map<string, number>, coding: string): number {
  const own = weights.get(coding);
  if (own !== undefined) return own;
  const any = weights.get("*");
  if (any !== undefined) return any;
  // §12.5.3: identity is acceptable unless excluded by identity;q=0 or *;q=0.
  return coding === "identity" ? 1 : 0;
}

/**
 * The coding to send among `available` (in the server's order of preference), or "identity".
 * Without the field, identity (§12.5.3 allows any coding, but an old client without the field
 * may not decode one: nginx gzip_static and every static server send identity). The highest
 * q-value wins; a tie goes to the earlier of `available`, then identity; identity the field
 * does not name comes last. Returns null when
 * nothing is acceptable, not even identity (a 406 or the identity response, the caller's
 * choice: §12.5.3 allows either).
 */
export function negotiateEncoding(
  value: string | undefined,
  available: readonly string[],
): string | null {
  if (value === undefined) return "identity";
  const weights = parseAcceptEncoding(value);
  let best: string | null = null;
  let bestQ = 0;
  for (const coding of available) {
    const q = qualityOf(weights, coding);
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  // Identity the field does not name is acceptable (§12.5.3) but least preferred: a client
  // that lists "gzip;q=0.5" alone wants gzip (nginx gzip_static agrees).
  const named = weights.has("identity") || weights.has("*");
  const identity = named ? qualityOf(weights, "identity") : Number.MIN_VALUE;
  if (identity > bestQ) return "identity";
  return best ?? (identity > 0 ? "identity" : null);
}
