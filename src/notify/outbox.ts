import type { Transporter } from "nodemailer";
import type { Hearth } from "../context.ts";
import { fill } from "../ui/i18n.ts";
import { readProfileLanguage } from "../identity/people.ts";
import { log } from "../log.ts";
import { noticeText } from "./notices.ts";
import { notificationById } from "./notify.ts";
import { notifyStrings } from "./strings.ts";

/**
 * The durable e-mail outbox. notify() inserts a row in the same transaction as the notification;
 * Outbox.deliverDue() sends what is due with nodemailer to HEARTH_SMTP_URL. A row is claimed
 * (claimed_at) before the SMTP call and marked sent_at after, so two runs never send it twice;
 * a failure clears the claim and sets next_at with exponential back-off (1 min doubling, at most
 * 1 h), so nothing is lost while SMTP is down. A claim left by a process that died mid-send is
 * retaken after CLAIM_STALE_MS with the same Message-ID, so a receiving server can drop the copy.
 * The e-mail says only "something is waiting" in the kind's e-mail text and links to Hearth.
 * The address is the person's sealed reminder contact, opened at send time (audited as system).
 */
export const BACKOFF_BASE_MS = 60_000;
export const BACKOFF_MAX_MS = 60 * 60_000;
export const CLAIM_STALE_MS = 10 * 60_000;

export function backoff(attempts: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
}

export interface OutboxState {
  waiting: number;
  failing: number;
  sentLastDay: number;
  lastError: string | null;
}

export function outboxState(hearth: Hearth): OutboxState {
  const now = hearth.now();
  const r = hearth.db
    .query<{ waiting: number; failing: number; sent: number }, [number]>(
      "SELECT coalesce(sum(sent_at IS NULL), 0) AS waiting, coalesce(sum(sent_at IS NULL AND attempts > 0), 0) AS failing, coalesce(sum(sent_at >= ?), 0) AS sent FROM mail_outbox",
    )
    .get(now - 86_400_000)!;
  const last = hearth.db.query<{ last_error: string }, []>("SELECT last_error FROM mail_outbox WHERE sent_at IS NULL AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1").get();
  return { waiting: r.waiting, failing: r.failing, sentLastDay: r.sent, lastError: last?.last_error ?? null };
}

async function addressOf(hearth: Hearth, personId: number): Promise<string | null> {
  const row = hearth.db.query<{ c: Uint8Array | null }, [number]>("SELECT reminder_contact AS c FROM people WHERE id = ?").get(personId);
  if (!row?.c) return null;
  const value = (await hearth.vault.openText(row.c)).trim();
  hearth.audit.append({ actor: "system", action: "contacts.read", subject: `person:${personId}`, ownerId: personId, outcome: "ok" });
  return /^[^\s@]+@[^\s@]+$/.test(value) ? value : null;
}

export class Outbox {
  #transport: Transporter | null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #running: Promise<void> | null = null;
  readonly from: string;

  constructor(private hearth: Hearth) {
    const url = hearth.config.smtpUrl;
    // nodemailer is loaded only when mail is configured: a box without SMTP never carries it.
    this.#transport = url ? (require("nodemailer") as typeof import("nodemailer")).createTransport(url) : null;
    this.from = hearth.config.smtpFrom ?? `Hearth <hearth@${new URL(hearth.config.publicUrl).hostname}>`;
  }

  start(everyMs = 15_000): void {
    if (!this.#transport || this.#timer) return;
    this.#timer = setInterval(() => void this.deliverDue(), everyMs);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
    this.#transport?.close();
  }

  /** Sends every message that is due; returns how many went out. One run at a time. */
  deliverDue(): Promise<number> {
    if (this.#running) return this.#running.then(() => 0);
    let sent = 0;
    const run = (async () => {
      for (;;) {
        const id = this.#claim();
        if (id === null) break;
        if (await this.#send(id)) sent++;
      }
    })();
    this.#running = run.finally(() => (this.#running = null));
    return this.#running.then(() => sent);
  }

  #claim(): number | null {
    const { db } = this.hearth;
    const now = this.hearth.now();
    return db.transaction(() => {
      const row = db
        .query<{ id: number }, [number, number]>(
          "SELECT id FROM mail_outbox WHERE sent_at IS NULL AND next_at <= ? AND (claimed_at IS NULL OR claimed_at < ?) ORDER BY next_at, id LIMIT 1",
        )
        .get(now, now - CLAIM_STALE_MS);
      if (!row) return null;
      db.query("UPDATE mail_outbox SET claimed_at = ?, attempts = attempts + 1 WHERE id = ?").run(now, row.id);
      return row.id;
    }).immediate();
  }

  async #send(outboxId: number): Promise<boolean> {
    const { db } = this.hearth;
    const row = db.query<{ notification_id: number; attempts: number }, [number]>("SELECT notification_id, attempts FROM mail_outbox WHERE id = ?").get(outboxId)!;
    const n = notificationById(this.hearth, row.notification_id);
    try {
      if (!this.#transport || !n) throw new Error("nothing to send with");
      const to = await addressOf(this.hearth, n.personId);
      if (!to) {
        // No e-mail address: nothing to retry; the notice is in Hearth.
        db.query("UPDATE mail_outbox SET sent_at = ?, last_error = 'no address' WHERE id = ?").run(this.hearth.now(), outboxId);
        return false;
      }
      const locale = (await readProfileLanguage(this.hearth, n.personId)) || "en";
      const s = notifyStrings(locale);
      const text = noticeText(n.kind, locale);
      const body = text ? fill(text.email ?? text.title, n.params) : s.unknownKind;
      const host = new URL(this.hearth.config.publicUrl).hostname;
      await this.#transport.sendMail({
        from: this.from,
        to,
        subject: s.emailSubject,
        text: `${body}\n\n${s.emailFooter} ${this.hearth.config.publicUrl}${n.link}\n`,
        messageId: `<outbox-${outboxId}@${host}>`,
      });
      db.query("UPDATE mail_outbox SET sent_at = ?, claimed_at = NULL, last_error = NULL WHERE id = ?").run(this.hearth.now(), outboxId);
      return true;
    } catch (err) {
      // An SMTP refusal can quote the address: keep it out of the stored error and the logs.
      const message = (err instanceof Error ? err.message : "send failed").replace(/[^\s<>@]+@[^\s<>@]+/g, "[address]").slice(0, 200);
      db.query("UPDATE mail_outbox SET claimed_at = NULL, next_at = ?, last_error = ? WHERE id = ?").run(this.hearth.now() + backoff(row.attempts), message, outboxId);
      log.warn("e-mail not sent; will retry", { outbox: outboxId, attempts: row.attempts });
      return false;
    }
  }
}
