import type { Hearth } from "../context.ts";
import type { Html } from "../ui/html.ts";
import type { Locale } from "../ui/i18n.ts";
import type { Role } from "./policy.ts";

/**
 * Where other capabilities add to identity's pages without identity knowing them: navigation
 * items for a role, and sections of the signed-in home page. Each capability registers under its
 * own key (registering again replaces, so building the app twice adds nothing twice).
 */
export interface NavItem {
  href: string;
  label: string;
}

export type NavSource = (locale: Locale, role: Role) => readonly NavItem[];

/** A section of the home page for this person, or null when it has nothing for them. */
export type HomeSection = (request: Request, viewer: { id: number; role: Role }, locale: Locale) => Promise<Html | null> | Html | null;

const navSources = new WeakMap<Hearth, Map<string, NavSource>>();
const homeSections = new WeakMap<Hearth, Map<string, HomeSection>>();

function registry<T>(map: WeakMap<Hearth, Map<string, T>>, hearth: Hearth): Map<string, T> {
  let m = map.get(hearth);
  if (!m) map.set(hearth, (m = new Map()));
  return m;
}

export function extendNav(hearth: Hearth, key: string, source: NavSource): void {
  registry(navSources, hearth).set(key, source);
}

export function extendHome(hearth: Hearth, key: string, section: HomeSection): void {
  registry(homeSections, hearth).set(key, section);
}

/** The extra navigation items for this role, in the order capabilities registered them. */
export function extraNav(hearth: Hearth, locale: Locale, role: Role): NavItem[] {
  return [...(navSources.get(hearth)?.values() ?? [])].flatMap((source) => source(locale, role));
}

export async function extraHomeSections(hearth: Hearth, request: Request, viewer: { id: number; role: Role }, locale: Locale): Promise<Html[]> {
  const out: Html[] = [];
  for (const section of homeSections.get(hearth)?.values() ?? []) {
    const part = await section(request, viewer, locale);
    if (part) out.push(part);
  }
  return out;
}
