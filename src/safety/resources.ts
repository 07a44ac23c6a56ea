import type { Hearth } from "../context.ts";
import type { Locale } from "../ui/i18n.ts";

/**
 * The clinic's crisis resources: helplines an admin lists (988 in the US, Talk Suicide Canada, a
 * local line), shown on the public /crisis page that every page links to. They describe public
 * services, never a person, so they are stored plain and may be read by anyone.
 */
export interface CrisisResource {
  id: number;
  name: string;
  phone: string;
  textLine: string;
  hours: string;
  /** "" when the line answers in any language. */
  language: ResourceLanguage;
}

/** The languages Hearth speaks (a line in another language is listed as "any"). */
export const RESOURCE_LANGUAGES = ["en", "fr", "es"] as const;
export type ResourceLanguage = (typeof RESOURCE_LANGUAGES)[number] | "";
export const LANGUAGE_NAMES: Record<(typeof RESOURCE_LANGUAGES)[number], string> = { en: "English", fr: "Français", es: "Español" };
const isLanguage = (v: string): v is ResourceLanguage => v === "" || (RESOURCE_LANGUAGES as readonly string[]).includes(v);

export const LIMITS = { name: 80, phone: 40, textLine: 80, hours: 80 } as const;
/** A dialable number: digits with the usual separators, optionally a leading +. "988" is one. */
const PHONE = /^\+?[0-9][0-9 ().-]{1,38}$/;

export type ResourceInput = Omit<CrisisResource, "id">;
export type ResourceProblem = "nameEmpty" | "nameTooLong" | "phoneInvalid" | "textTooLong" | "hoursTooLong" | "noWayToReach" | "badLanguage";

/** Spaces as a person meant them; no control characters stored. */
function line(text: string): string {
  return text.replace(/[\p{Cc}\s]+/gu, " ").trim();
}

/** Cleans a resource as an admin typed it, or names what is wrong with it. */
export function checkResource(raw: { name: string; phone?: string; textLine?: string; hours?: string; language?: string }): { ok: true; value: ResourceInput } | { ok: false; problem: ResourceProblem; field: string } {
  const value = {
    name: line(raw.name),
    phone: line(raw.phone ?? ""),
    textLine: line(raw.textLine ?? ""),
    hours: line(raw.hours ?? ""),
    language: raw.language ?? "",
  };
  if (!value.name) return { ok: false, problem: "nameEmpty", field: "name" };
  if (value.name.length > LIMITS.name) return { ok: false, problem: "nameTooLong", field: "name" };
  if (value.phone && (value.phone.length > LIMITS.phone || !PHONE.test(value.phone))) return { ok: false, problem: "phoneInvalid", field: "phone" };
  if (value.textLine.length > LIMITS.textLine) return { ok: false, problem: "textTooLong", field: "textLine" };
  if (value.hours.length > LIMITS.hours) return { ok: false, problem: "hoursTooLong", field: "hours" };
  if (!value.phone && !value.textLine) return { ok: false, problem: "noWayToReach", field: "phone" };
  if (!isLanguage(value.language)) return { ok: false, problem: "badLanguage", field: "language" };
  return { ok: true, value: { ...value, language: value.language } };
}

interface Row {
  id: number;
  name: string;
  phone: string;
  text_line: string;
  hours: string;
  language: string;
}

const toResource = (r: Row): CrisisResource => ({
  id: r.id,
  name: r.name,
  phone: r.phone,
  textLine: r.text_line,
  hours: r.hours,
  language: isLanguage(r.language) ? r.language : "",
});

export function listResources(hearth: Hearth): CrisisResource[] {
  return hearth.db.query<Row, []>("SELECT id, name, phone, text_line, hours, language FROM crisis_resources ORDER BY position, id").all().map(toResource);
}

/** For a reader of this language: lines in their language (or any) first, in the admin's order. */
export function resourcesFor(hearth: Hearth, locale: Locale): CrisisResource[] {
  const all = listResources(hearth);
  const rank = (r: CrisisResource) => (r.language === (locale as string) ? 0 : r.language === "" ? 1 : 2);
  return all.map((r, i) => ({ r, i })).sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i).map((x) => x.r);
}

export function addResource(hearth: Hearth, actorId: number | null, input: ResourceInput): number {
  return hearth.db.transaction(() => {
    const position = hearth.db.query<{ p: number }, []>("SELECT coalesce(max(position), 0) + 1 AS p FROM crisis_resources").get()!.p;
    const id = hearth.db
      .query<{ id: number }, [string, string, string, string, string, number, number | null, number]>(
        "INSERT INTO crisis_resources (name, phone, text_line, hours, language, position, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      )
      .get(input.name, input.phone, input.textLine, input.hours, input.language, position, actorId, hearth.now())!.id;
    hearth.audit.append({ actor: actorId ? `person:${actorId}` : "system", action: "crisis_resource.added", subject: `crisis_resource:${id}`, outcome: "ok" });
    return id;
  }).immediate();
}

export function removeResource(hearth: Hearth, actorId: number, id: number): boolean {
  return hearth.db.transaction(() => {
    const gone = hearth.db.query("DELETE FROM crisis_resources WHERE id = ?").run(id).changes > 0;
    if (gone) hearth.audit.append({ actor: `person:${actorId}`, action: "crisis_resource.removed", subject: `crisis_resource:${id}`, outcome: "ok" });
    return gone;
  }).immediate();
}

/** A tel: or sms: target from what the admin typed (digits and + only). */
export function dialable(text: string): string | null {
  const digits = text.replace(/[^0-9+]/g, "");
  return /^\+?[0-9]{2,20}$/.test(digits) ? digits : null;
}
