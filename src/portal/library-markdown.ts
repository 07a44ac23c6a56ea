import { marked } from "marked";
import sanitizeHtml from "sanitize-html";

/**
 * An article's Markdown as HTML safe to put in a page. marked passes raw HTML through, so its
 * output is never trusted: sanitize-html keeps only the tags and attributes below (no script,
 * style, iframe, form, img, event handler or class), only http(s) and mailto links, and every
 * link opens with rel="noopener noreferrer". Headings start at h2: the page's h1 is the title.
 */
const ALLOWED = {
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
};

export function renderArticle(markdown: string): string {
  const raw = marked.parse(markdown, { async: false, gfm: true }) as string;
  return sanitizeHtml(raw, ALLOWED);
}
