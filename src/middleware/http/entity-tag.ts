/** Entity tags (RFC 9110 §8.8.3) and their two comparison functions (§8.8.3.2). */

export interface EntityTag {
  weak: boolean;
  /** The opaque-tag with its quotes: `"abc"`. */
  opaque: string;
}

// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text
const TAG = /^(W\/)?("[\x21\x23-\x7e\x80-\xff]*")$/;

/** One entity-tag, or undefined when the text is not one. */
export function parseEntityTag(text: string): EntityTag | undefined {
  const m = TAG.exec(text.trim());
  return m ? { weak: m[1] !== undefined, opaque: m[2] } : undefined;
}

/**
 * An If-Match / If-None-Match value: `"*"`, or the list of entity tags (RFC 9110 §13.1.1).
 * Members that are not entity tags are dropped; a value with none left matches nothing.
 */
export function parseEntityTagList(value: string): "*" | EntityTag[] {
  if (value.trim() === "*") return "*";
  const tags: EntityTag[] = [];
  // A comma may occur inside an opaque-tag (%x2C is etagc): scan quoted strings instead of
  // splitting on commas. Empty list elements are allowed (RFC 9110 §5.6.1).
  let i = 0;
  while (i < value.length) {
    const c = value[i];
    if (c === "," || c === " " || c === "\t") {
      i++;
      continue;
    }
    const weak = value.startsWith("W/", i);
    const open = weak ? i + 2 : i;
    let end: number;
    if (value[open] === '"') {
      const close = value.indexOf('"', open + 1);
      end = close < 0 ? value.length : close + 1;
      const tag = close < 0 ? undefined : parseEntityTag(value.slice(i, end));
      if (tag) tags.push(tag);
    } else {
      end = value.indexOf(",", i);
      if (end < 0) end = value.length;
    }
    i = end;
  }
  return tags;
}

/** RFC 9110 §8.8.3.2: both strong and character-for-character equal. */
export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/** RFC 9110 §8.8.3.2: opaque-tags equal, weakness ignored. */
export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}
