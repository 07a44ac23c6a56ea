// The journal page's entries: write, edit (versions kept), share and read them. Every entry is
// encrypted and decrypted here; the server gets only age files and public recipients, and the
// keys live in this page's memory only (never in storage), so leaving the page locks it again.
import { fill, formatDateTime } from "../../src/ui/i18n.ts";
import { fromBase64, openEntry, sealNewEntry, sealVersion, toBase64, unwrapKey, wrapKey, type JournalEntry } from "./journal-crypto.ts";
import { $, ApiError, api, el, locale, s, say, show } from "./page-kit.ts";
import { setUpUnlock } from "./journal-unlock.ts";

interface OwnEntry {
  id: number;
  version: number;
  ciphertext: string;
  wrapped: string;
  createdAt: number;
  updatedAt: number;
  sharedWith: { personId: number; sharedAt: number }[];
}
interface SharedEntry {
  id: number;
  version: number;
  ciphertext: string;
  wrapped: string;
  sharedAt: number;
}
interface Clinician {
  personId: number;
  recipient: string;
  name: string;
}

const root = document.querySelector<HTMLElement>("[data-journal]");

/** The journal identity, once unlocked (memory only). */
let journalIdentity: string | null = null;
let journalRecipient = "";

async function unlocked(identity: string, recipient: string): Promise<void> {
  journalIdentity = identity;
  journalRecipient = recipient;
  const mode = root?.dataset.journal;
  if (mode === "own") {
    show("#journal-compose", true);
    resetCompose();
    await loadOwn();
  } else if (mode === "shared") {
    await loadShared();
  }
}

// ---- The patient's own entries ----

const entryKeys = new Map<number, string>();
const opened = new Map<number, JournalEntry>();
let careTeam: Clinician[] = [];
let editing: number | null = null;

function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function composeForm(): HTMLFormElement {
  return $("[data-journal-compose]") as HTMLFormElement;
}

function resetCompose(): void {
  const form = composeForm();
  form.reset();
  (form.elements.namedItem("date") as HTMLInputElement).value = today();
  editing = null;
  setComposeMode(false);
}

function setComposeMode(edit: boolean): void {
  const title = $("#journal-compose-title")!;
  title.textContent = (edit ? title.dataset.titleEdit : title.dataset.titleNew) ?? "";
  const submit = composeForm().querySelector<HTMLButtonElement>("button[type=submit]")!;
  submit.textContent = (edit ? submit.dataset.labelEdit : submit.dataset.labelNew) ?? "";
  show("[data-journal-cancel]", edit);
}

function entryFromForm(form: HTMLFormElement): JournalEntry | null {
  const data = new FormData(form);
  const text = String(data.get("text") ?? "").trim();
  const textarea = form.elements.namedItem("text") as HTMLTextAreaElement;
  if (!text) {
    textarea.setAttribute("aria-invalid", "true");
    show("#entry-text-error", true);
    textarea.focus();
    return null;
  }
  textarea.removeAttribute("aria-invalid");
  show("#entry-text-error", false);
  const mood = Number(data.get("mood"));
  const tags = String(data.get("tags") ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean)
    .slice(0, 20);
  return { text, mood: mood >= 1 && mood <= 5 ? mood : null, tags, date: String(data.get("date") || today()) };
}

async function save(form: HTMLFormElement): Promise<void> {
  const entry = entryFromForm(form);
  if (!entry || !journalIdentity) return;
  const submit = form.querySelector<HTMLButtonElement>("button[type=submit]")!;
  submit.disabled = true;
  say(s.saving);
  try {
    if (editing !== null) {
      const key = entryKeys.get(editing)!;
      await api("POST", `/portal/journal/entries/${editing}/versions`, { ciphertext: toBase64(await sealVersion(entry, key)) });
    } else {
      const sealed = await sealNewEntry(entry, [journalRecipient]);
      await api("POST", "/portal/journal/entries", { ciphertext: toBase64(sealed.ciphertext), wrapped: toBase64(sealed.wrapped) });
    }
    resetCompose();
    say(s.saved);
    await loadOwn();
  } catch (err) {
    say(err instanceof ApiError ? err.message : s.saveFailed);
  } finally {
    submit.disabled = false;
  }
}

function entryBody(entry: JournalEntry, meta: string[]): Node[] {
  const out: Node[] = [el("h3", { text: new Intl.DateTimeFormat(locale, { dateStyle: "long" }).format(new Date(`${entry.date}T12:00:00`)) })];
  const facts = [...meta];
  if (entry.mood) facts.unshift(fill(s.moodShown, { mood: entry.mood }));
  if (entry.tags.length) facts.push(fill(s.tagsShown, { tags: entry.tags.join(", ") }));
  if (facts.length) out.push(el("p", { className: "muted entry-meta", text: facts.join(" · ") }));
  out.push(el("p", { className: "entry-text", text: entry.text }));
  return out;
}

async function loadOwn(): Promise<void> {
  const [{ entries }, team] = await Promise.all([
    api<{ entries: OwnEntry[] }>("GET", "/portal/journal/entries"),
    api<{ clinicians: Clinician[] }>("GET", "/portal/journal/care-team"),
  ]);
  careTeam = team.clinicians;
  const list = $("[data-journal-list]")!;
  const items: Node[] = [];
  for (const e of entries) {
    try {
      const key = await unwrapKey(fromBase64(e.wrapped), journalIdentity!);
      const entry = await openEntry(fromBase64(e.ciphertext), key);
      entryKeys.set(e.id, key);
      opened.set(e.id, entry);
      items.push(ownEntryCard(e, entry));
    } catch {
      items.push(el("article", { className: "card journal-entry" }, el("p", { text: s.couldNotOpen })));
    }
  }
  list.replaceChildren(...(items.length ? items : [el("p", { text: s.noEntries })]));
  show("#journal-entries", true);
}

function ownEntryCard(e: OwnEntry, entry: JournalEntry): HTMLElement {
  const meta = e.version > 1 ? [fill(s.edited, { n: e.version })] : [];
  const card = el("article", { className: "card journal-entry" }, ...entryBody(entry, meta));
  card.dataset.entryId = String(e.id);

  const share = el("fieldset", { className: "entry-share" }, el("legend", { text: s.shareTitle }));
  if (!careTeam.length) share.append(el("p", { className: "muted", text: s.noCareTeam }));
  for (const c of careTeam) {
    const since = e.sharedWith.find((w) => w.personId === c.personId);
    const id = `share-${e.id}-${c.personId}`;
    const box = Object.assign(document.createElement("input"), { type: "checkbox", id, checked: !!since });
    const label = el("label");
    label.htmlFor = id;
    shareLabel(label, c, since?.sharedAt ?? null);
    box.addEventListener("change", () => void toggleShare(e.id, c, box, label));
    share.append(el("div", { className: "check" }, box, label));
  }
  card.append(share);

  const editButton = el("button", { className: "secondary", text: s.edit });
  editButton.type = "button";
  editButton.addEventListener("click", () => startEdit(e.id));
  const actions = el("div", { className: "actions" }, editButton);
  if (e.version > 1) {
    const versionsButton = el("button", { className: "secondary", text: s.versions });
    versionsButton.type = "button";
    versionsButton.setAttribute("aria-expanded", "false");
    versionsButton.addEventListener("click", () => void showVersions(e.id, card, versionsButton));
    actions.append(versionsButton);
  }
  card.append(actions);
  return card;
}

function startEdit(id: number): void {
  const entry = opened.get(id);
  if (!entry) return;
  const form = composeForm();
  (form.elements.namedItem("date") as HTMLInputElement).value = entry.date;
  (form.elements.namedItem("mood") as HTMLSelectElement).value = entry.mood ? String(entry.mood) : "";
  (form.elements.namedItem("tags") as HTMLInputElement).value = entry.tags.join(", ");
  (form.elements.namedItem("text") as HTMLTextAreaElement).value = entry.text;
  editing = id;
  setComposeMode(true);
  (form.elements.namedItem("text") as HTMLTextAreaElement).focus();
}

async function showVersions(id: number, card: HTMLElement, button: HTMLButtonElement): Promise<void> {
  const existing = card.querySelector(".entry-versions");
  if (existing) {
    existing.remove();
    button.setAttribute("aria-expanded", "false");
    return;
  }
  const { versions } = await api<{ versions: { version: number; ciphertext: string; createdAt: number }[] }>("GET", `/portal/journal/entries/${id}/versions`);
  const key = entryKeys.get(id)!;
  const list = el("ol", { className: "entry-versions" });
  for (const v of versions.slice(0, -1).reverse()) {
    const entry = await openEntry(fromBase64(v.ciphertext), key);
    list.append(el("li", {}, el("p", { className: "muted", text: fill(s.versionLabel, { n: v.version, when: formatDateTime(locale, v.createdAt) }) }), el("p", { className: "entry-text", text: entry.text })));
  }
  card.append(list);
  button.setAttribute("aria-expanded", "true");
}

function shareLabel(label: HTMLLabelElement, c: Clinician, sharedAt: number | null): void {
  label.textContent = sharedAt ? fill(s.sharedSince, { name: c.name, when: formatDateTime(locale, sharedAt) }) : fill(s.shareWith, { name: c.name });
}

/** Shares (wraps the entry key to the clinician's recipient) or unshares (the server drops that wrap); focus stays put. */
async function toggleShare(id: number, c: Clinician, box: HTMLInputElement, label: HTMLLabelElement): Promise<void> {
  box.disabled = true;
  try {
    if (box.checked) {
      const { sharedAt } = await api<{ sharedAt: number }>("POST", `/portal/journal/entries/${id}/shares`, { personId: c.personId, wrapped: toBase64(await wrapKey(entryKeys.get(id)!, [c.recipient])) });
      shareLabel(label, c, sharedAt);
      say(fill(s.shared, { name: c.name }));
    } else {
      await api("POST", `/portal/journal/entries/${id}/unshare`, { personId: c.personId });
      shareLabel(label, c, null);
      say(fill(s.unshared, { name: c.name }));
    }
  } catch (err) {
    box.checked = !box.checked;
    say(err instanceof ApiError ? err.message : s.shareFailed);
  } finally {
    box.disabled = false;
    box.focus();
  }
}

// ---- A clinician reading what one patient shared ----

async function loadShared(): Promise<void> {
  const { entries } = await api<{ entries: SharedEntry[] }>("GET", `/portal/journal/shared/${root!.dataset.patient}`);
  const items: Node[] = [];
  for (const e of entries) {
    try {
      const key = await unwrapKey(fromBase64(e.wrapped), journalIdentity!);
      const entry = await openEntry(fromBase64(e.ciphertext), key);
      items.push(el("article", { className: "card journal-entry" }, ...entryBody(entry, [fill(s.sharedOn, { when: formatDateTime(locale, e.sharedAt) })])));
    } catch {
      items.push(el("article", { className: "card journal-entry" }, el("p", { text: s.couldNotOpen })));
    }
  }
  $("[data-journal-list]")!.replaceChildren(...(items.length ? items : [el("p", { text: s.noSharedEntries })]));
  show("#journal-entries", true);
}
/** The decrypted journal as a JSON file, made here and saved by the browser: nothing is sent. */
function exportJournal(): void {
  const entries = [...opened.entries()].map(([id, entry]) => ({ id, ...entry }));
  const url = URL.createObjectURL(new Blob([JSON.stringify(entries, null, 2)], { type: "application/json" }));
  const a = Object.assign(document.createElement("a"), { href: url, download: "my-journal.json" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---- Wiring ----

if (root) {
  setUpUnlock(unlocked);
  $("[data-journal-cancel]")?.addEventListener("click", () => resetCompose());
  $("[data-journal-export]")?.addEventListener("click", () => exportJournal());
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.matches("[data-journal-compose]")) {
      event.preventDefault();
      void save(form);
    }
  });
}
