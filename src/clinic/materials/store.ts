import * as age from "age-encryption";
import { mkdirSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Hearth } from "../../context.ts";

/**
 * Materials of a group: worksheets, slides, handouts (files) and links, for the whole group or
 * one session (an occurrence of a schedule). A file is streamed in and out, never whole in
 * memory: the upload passes through a byte counter (refused past the limit) into age's streaming
 * encryption to a key of its own, chunk by chunk into data/materials/; its type is read from its
 * first bytes (file-type), never from its name. That key (an age identity), the title and a
 * link's address are sealed with the appliance key, like every sealed column (rotation reseals
 * them). Each download is audited.
 */
export const MAX_BYTES = 50 * 1024 * 1024;
export const TITLE_MAX = 120;
const HEAD_BYTES = 4100;

/** What may be attached, by the type its content shows; plain text is checked separately. */
export const ALLOWED_TYPES: Record<string, string> = {
  "application/pdf": "pdf",
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/gif": "gif",
  "image/webp": "webp",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
  "application/vnd.oasis.opendocument.text": "odt",
  "application/vnd.oasis.opendocument.presentation": "odp",
  "application/vnd.oasis.opendocument.spreadsheet": "ods",
  "audio/mpeg": "mp3",
  "audio/x-m4a": "m4a",
  "audio/mp4": "m4a",
  "video/mp4": "mp4",
  "text/plain": "txt",
};

export class MaterialError extends Error {
  constructor(readonly field: "file" | "title" | "link" | "session", readonly reason: "too-large" | "type" | "empty" | "invalid") {
    super(`${field}: ${reason}`);
  }
}

export interface Material {
  id: number;
  groupId: number;
  scheduleId: number | null;
  wall: number | null;
  kind: "file" | "link";
  title: string;
  link: string | null;
  mime: string | null;
  bytes: number | null;
  addedAt: number;
}

function dirOf(hearth: Hearth): string {
  const dir = join(hearth.config.dataDir, "materials");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Plain text has no magic number: accept UTF-8 without control characters (tab and line ends aside). */
function looksLikeText(head: Uint8Array): boolean {
  if (!head.length) return false;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: true });
    return !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text);
  } catch {
    return false;
  }
}

async function detect(head: Uint8Array): Promise<string | null> {
  // file-type loads with the first upload, not with every server at start.
  const { fileTypeFromBuffer } = await import("file-type");
  const found = await fileTypeFromBuffer(head);
  if (found) return ALLOWED_TYPES[found.mime] ? found.mime : null;
  return looksLikeText(head) ? "text/plain" : null;
}

/** A file streamed into sealed storage: its blob's name under the directory, its sealed key, its checked type and size. */
export interface SealedFile {
  blob: string;
  sealedKey: Uint8Array;
  mime: string;
  bytes: number;
}

/**
 * Streams `source` through a byte counter into age's streaming encryption to a key of its own,
 * chunk by chunk into a new file under `dir`, and types it from its first bytes. Refuses
 * (MaterialError, nothing kept) a file over `maxBytes`, an empty one, or one whose content is not
 * an allowed type. Shared with the portal's documents (src/portal/documents.ts).
 */
export async function sealFileStream(hearth: Hearth, dir: string, source: ReadableStream<Uint8Array>, maxBytes = MAX_BYTES): Promise<SealedFile> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const identity = await age.generateX25519Identity();
  const e = new age.Encrypter();
  e.addRecipient(await age.identityToRecipient(identity));
  let bytes = 0;
  let head = new Uint8Array(0);
  let tooLarge = false;
  const counted = source.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.length;
        if (bytes > maxBytes) {
          tooLarge = true;
          controller.error(new MaterialError("file", "too-large"));
          return;
        }
        if (head.length < HEAD_BYTES) {
          const more = new Uint8Array(Math.min(HEAD_BYTES, head.length + chunk.length));
          more.set(head);
          more.set(chunk.subarray(0, more.length - head.length), head.length);
          head = more;
        }
        controller.enqueue(chunk);
      },
    }),
  );
  const blob = `${crypto.randomUUID()}.age`;
  const path = join(dir, blob);
  const out = await open(path, "wx", 0o600);
  try {
    const sealed = await e.encrypt(counted);
    for await (const chunk of sealed as unknown as AsyncIterable<Uint8Array>) await out.write(chunk);
    await out.sync();
  } catch (err) {
    await out.close();
    await rm(path, { force: true });
    if (tooLarge) throw new MaterialError("file", "too-large");
    throw err;
  }
  await out.close();
  const mime = bytes === 0 ? null : await detect(head);
  if (!mime) {
    await rm(path, { force: true });
    throw new MaterialError("file", bytes === 0 ? "empty" : "type");
  }
  return { blob, sealedKey: await hearth.vault.seal(identity), mime, bytes };
}

/** The plaintext of a file sealed by sealFileStream, as a stream (never whole in memory). */
export async function openSealedStream(hearth: Hearth, dir: string, blob: string, sealedKey: Uint8Array): Promise<ReadableStream<Uint8Array>> {
  const d = new age.Decrypter();
  d.addIdentity(await hearth.vault.openText(sealedKey));
  return (await d.decrypt(Bun.file(join(dir, blob)).stream())) as ReadableStream<Uint8Array>;
}

/** Streams a file into the group's materials, sealed (see sealFileStream for what is refused). */
export async function addFile(
  hearth: Hearth,
  actorId: number,
  target: { groupId: number; scheduleId: number | null; wall: number | null },
  title: string,
  source: ReadableStream<Uint8Array>,
  maxBytes = MAX_BYTES,
): Promise<number> {
  const clean = title.trim();
  if (!clean || clean.length > TITLE_MAX) throw new MaterialError("title", "invalid");
  const { blob, sealedKey, mime, bytes } = await sealFileStream(hearth, dirOf(hearth), source, maxBytes);
  const sealedTitle = await hearth.vault.seal(clean);
  return hearth.db.transaction(() => {
    const id = hearth.db
      .query<{ id: number }, [number, number | null, number | null, Uint8Array, Uint8Array, string, string, number, number, number]>(
        `INSERT INTO materials (group_id, schedule_id, wall, kind, title, file_key, blob, mime, bytes, added_by, added_at)
         VALUES (?, ?, ?, 'file', ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      )
      .get(target.groupId, target.scheduleId, target.wall, sealedTitle, sealedKey, blob, mime, bytes, actorId, hearth.now())!.id;
    hearth.audit.append({ actor: `person:${actorId}`, action: "material.added", subject: `material:${id}`, ownerId: null, outcome: "ok" });
    return id;
  }).immediate();
}

export async function addLink(hearth: Hearth, actorId: number, target: { groupId: number; scheduleId: number | null; wall: number | null }, title: string, link: string): Promise<number> {
  const clean = title.trim();
  if (!clean || clean.length > TITLE_MAX) throw new MaterialError("title", "invalid");
  let url: URL;
  try {
    url = new URL(link.trim());
  } catch {
    throw new MaterialError("link", "invalid");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new MaterialError("link", "invalid");
  const sealedTitle = await hearth.vault.seal(clean);
  const sealedLink = await hearth.vault.seal(url.href);
  const id = hearth.db
    .query<{ id: number }, [number, number | null, number | null, Uint8Array, Uint8Array, number, number]>(
      "INSERT INTO materials (group_id, schedule_id, wall, kind, title, link, added_by, added_at) VALUES (?, ?, ?, 'link', ?, ?, ?, ?) RETURNING id",
    )
    .get(target.groupId, target.scheduleId, target.wall, sealedTitle, sealedLink, actorId, hearth.now())!.id;
  hearth.audit.append({ actor: `person:${actorId}`, action: "material.added", subject: `material:${id}`, ownerId: null, outcome: "ok" });
  return id;
}

interface Row {
  id: number;
  group_id: number;
  schedule_id: number | null;
  wall: number | null;
  kind: "file" | "link";
  title: Uint8Array;
  link: Uint8Array | null;
  mime: string | null;
  bytes: number | null;
  added_at: number;
}

/** The group of a material still attached (for identity's groupItem rule), or null. */
export function groupOfMaterial(hearth: Hearth, id: number): number | null {
  return hearth.db.query<{ group_id: number }, [number]>("SELECT group_id FROM materials WHERE id = ? AND removed_at IS NULL").get(id)?.group_id ?? null;
}

/** A group's materials, titles opened (audited once per listing, as the group's content). */
export async function materialsOf(hearth: Hearth, actorId: number, groupId: number): Promise<Material[]> {
  const rows = hearth.db
    .query<Row, [number]>("SELECT id, group_id, schedule_id, wall, kind, title, link, mime, bytes, added_at FROM materials WHERE group_id = ? AND removed_at IS NULL ORDER BY added_at, id")
    .all(groupId);
  const out: Material[] = [];
  for (const r of rows) {
    out.push({
      id: r.id,
      groupId: r.group_id,
      scheduleId: r.schedule_id,
      wall: r.wall,
      kind: r.kind,
      title: await hearth.vault.openText(r.title),
      link: r.link ? await hearth.vault.openText(r.link) : null,
      mime: r.mime,
      bytes: r.bytes,
      addedAt: r.added_at,
    });
  }
  if (rows.length) hearth.audit.append({ actor: `person:${actorId}`, action: "material.listed", subject: `group:${groupId}`, ownerId: null, outcome: "ok" });
  return out;
}

export function removeMaterial(hearth: Hearth, actorId: number, id: number): boolean {
  const done = hearth.db.query("UPDATE materials SET removed_at = ? WHERE id = ? AND removed_at IS NULL").run(hearth.now(), id).changes === 1;
  if (done) hearth.audit.append({ actor: `person:${actorId}`, action: "material.removed", subject: `material:${id}`, ownerId: null, outcome: "ok" });
  return done;
}

/**
 * Opens a file for download as a stream, audited. The file name a browser saves it under is
 * the title with the extension of its checked type.
 */
export async function openFile(hearth: Hearth, actorId: number, id: number): Promise<{ stream: ReadableStream<Uint8Array>; bytes: number; mime: string; filename: string } | null> {
  const r = hearth.db
    .query<{ title: Uint8Array; file_key: Uint8Array; blob: string; mime: string; bytes: number }, [number]>(
      "SELECT title, file_key, blob, mime, bytes FROM materials WHERE id = ? AND kind = 'file' AND removed_at IS NULL",
    )
    .get(id);
  if (!r) return null;
  const stream = await openSealedStream(hearth, dirOf(hearth), r.blob, r.file_key);
  const title = await hearth.vault.openText(r.title);
  hearth.audit.append({ actor: `person:${actorId}`, action: "material.downloaded", subject: `material:${id}`, ownerId: null, outcome: "ok" });
  return { stream, bytes: r.bytes, mime: r.mime, filename: `${title}.${ALLOWED_TYPES[r.mime] ?? "bin"}` };
}
