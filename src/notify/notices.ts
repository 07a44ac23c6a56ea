import type { Locale, Strings } from "../ui/i18n.ts";

/**
 * The words of each kind of notification, registered by the capability that sends it:
 *
 *   export const reminderText = defineStrings(
 *     { title: "Your session starts at {time}", email: "You have a session at {time}." },
 *     { title: "...", email: "..." }, { title: "...", email: "..." });
 *   defineNotice("clinic.reminder", reminderText);
 *
 * `title` is shown in the bell list; `email` (optional, defaults to the title) is the e-mail body.
 * Both are filled with the notification's params at display/send time, so the stored row holds
 * no words and the text follows the reader's language. Neither may carry clinical content: an
 * e-mail says only that something is waiting and links to Hearth.
 */
export type NoticeText = Strings<{ title: string; email?: string } & Record<string, string>>;

const notices = new Map<string, (locale: Locale) => { title: string; email?: string }>();

export function defineNotice(kind: string, text: (locale: Locale) => { readonly title: string; readonly email?: string }): void {
  if (!/^[a-z][a-z0-9_.-]{1,63}$/.test(kind)) throw new Error(`notice kind "${kind}" must be lower-case words with dots`);
  notices.set(kind, text);
}

export function noticeText(kind: string, locale: Locale): { title: string; email?: string } | null {
  return notices.get(kind)?.(locale) ?? null;
}

export function isNoticeKind(kind: string): boolean {
  return notices.has(kind);
}
