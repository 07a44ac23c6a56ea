import type { IOptions } from "sanitize-html";

/**
 * An article's Markdown as HTML safe to put in a page. marked passes raw HTML through, so its
 * output is never trusted: sanitize-html keeps only the tags and attributes below (no script,
 * style, iframe, form, img, event handler or class), only http(s) and mailto links, and every
 * link opens with rel="noopener noreferrer". Headings start at h2: the page's h1 is the title.
 */
const allowed = (sanitizeHtml: typeof import("sanitize-html")): IOptions => ({
  allowedTags: ["h2", "h3", "h4", "p", "br", "hr", "ul", "ol", "li", "strong", "em", "del", "blockquote", "code", "pre", "a", "table", "thead", "tbody", "tr", "th", "td"],
  allowedAttributes: { a: ["href", "title", "rel"], th: ["scope"], ol: ["start"] },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesAppliedToAttributes: ["href"],
  allowProtocolRelative: false,
  disallowedTagsMode: "discard" as const,
  transformTags: {
    h1: "h2",
    h5: "h4",
    h6: "h4",
    a: sanitizeHtml.simpleTransform("a", { rel: "noopener noreferrer" }),
  },
});

let libs: { marked: typeof import("marked").marked; sanitizeHtml: typeof import("sanitize-html"); options: IOptions } | null = null;

export function renderArticle(markdown: string): string {
  // marked and sanitize-html (with postcss) load on the first article shown, not with every
  // server at start; require() keeps this function synchronous for the views that call it.
  if (!libs) {
    const sanitizeHtml = require("sanitize-html") as typeof import("sanitize-html");
    libs = { marked: (require("marked") as typeof import("marked")).marked, sanitizeHtml, options: allowed(sanitizeHtml) };
  }
  const raw = libs.marked.parse(markdown, { async: false, gfm: true }) as string;
  return libs.sanitizeHtml(raw, libs.options);
}
