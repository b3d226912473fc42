// What a member reads in a message: its text and the media its components show. Components V2
// messages carry no `content`; their text lives in Text Displays (type 10) anywhere in the tree
// (top level, in Containers, in Sections), their pictures in Thumbnails (11), Media Galleries (12)
// and Files (13) (https://discord.com/developers/docs/components/reference).

type Json = Record<string, any>;

/** Visits every component in display order: a component, then its children, then a Section's accessory. */
function walk(list: unknown, visit: (c: Json) => void): void {
  if (!Array.isArray(list)) return;
  for (const c of list) {
    if (!c || typeof c !== "object") continue;
    visit(c as Json);
    walk((c as Json).components, visit);
    if ((c as Json).accessory) walk([(c as Json).accessory], visit);
  }
}

/** Every component of a tree, flattened in display order (buttons, selects, text, media…). */
export function allComponents(list: unknown): Json[] {
  const out: Json[] = [];
  walk(list, (c) => out.push(c));
  return out;
}

/** `content`, then every Text Display's `content` in order, joined by "\n" (empty ones skipped). */
export function readableText(content: string, components: unknown[]): string {
  const parts = [content];
  walk(components, (c) => {
    if (c.type === 10 && typeof c.content === "string") parts.push(c.content);
  });
  return parts.filter((p) => p !== "").join("\n");
}

/** Every Thumbnail `media.url`, Media Gallery item `media.url` and File `file.url`, in order. */
export function mediaUrls(components: unknown[]): string[] {
  const out: string[] = [];
  const add = (media: unknown) => {
    const url = (media as Json | undefined)?.url;
    if (typeof url === "string") out.push(url);
  };
  walk(components, (c) => {
    if (c.type === 11) add(c.media);
    else if (c.type === 12 && Array.isArray(c.items)) for (const item of c.items as Json[]) add(item?.media);
    else if (c.type === 13) add(c.file);
  });
  return out;
}

/**
 * The SKU ids of the premium buttons (type 2, style 6) a message shows, in display order (action
 * rows and Components V2 alike): what a member can buy from it. E.g.
 *   expect(premiumSkus(fake.message(id)!)).toEqual([fake.skus[0]!.id]);
 */
export function premiumSkus(message: { components: unknown[] } | undefined): string[] {
  return allComponents(message?.components).filter((c) => c.type === 2 && c.style === 6 && typeof c.sku_id === "string").map((c) => c.sku_id as string);
}
