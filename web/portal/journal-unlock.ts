// Unlocking a journal on this page: a passkey assertion asking for the PRF output (HKDF turns
// it into this passkey's age identity), which opens the wrap of the person's journal identity.
// The first unlock makes that identity and a recovery key, shown once; a passkey that has not
// opened the journal before needs the recovery key once; a passkey without PRF gets the clinic's
// key, and the page says so. Keys live in this page's memory only.
import encodeQR from "qr";
import { PRF_SALT, fromBase64, newIdentity, parseRecoveryKey, passkeyIdentity, recipientOf, toBase64, unwrapKey, wrapKey } from "./journal-crypto.ts";
import { $, ApiError, api, fromBase64Url, s, say, show, toBase64Url } from "./page-kit.ts";

interface KeyInfo {
  key: { recipient: string; protection: "passkey" | "clinic" } | null;
  wraps: { credentialId: string; wrapped: string }[];
  identity?: string;
}

type Unlocked = (identity: string, recipient: string) => Promise<void>;
let onUnlocked: Unlocked = async () => {};


/** A passkey that has no wrap of the journal identity yet, waiting for the recovery key. */
let pending: { credentialId: string; passkeyRecipient: string } | null = null;
let keyInfo: KeyInfo | null = null;

/** One passkey assertion asking for the PRF output (no server challenge: nothing is signed in with it). */
async function prfAssertion(): Promise<{ credentialId: string; prf: Uint8Array | null }> {
  const lock = $("#journal-lock")!;
  const credentials = JSON.parse(lock.dataset.credentials ?? "[]") as string[];
  const credential = (await navigator.credentials.get({
    publicKey: {
      challenge: crypto.getRandomValues(new Uint8Array(32)),
      rpId: lock.dataset.rpId,
      allowCredentials: credentials.map((id) => ({ type: "public-key" as const, id: fromBase64Url(id) as Uint8Array<ArrayBuffer> })),
      userVerification: "required",
      timeout: 120_000,
      extensions: { prf: { eval: { first: PRF_SALT } } } as AuthenticationExtensionsClientInputs,
    },
  })) as PublicKeyCredential | null;
  if (!credential) throw new DOMException("no credential", "NotAllowedError");
  const results = credential.getClientExtensionResults() as { prf?: { results?: { first?: ArrayBuffer } } };
  const first = results.prf?.results?.first;
  return { credentialId: toBase64Url(credential.rawId), prf: first ? new Uint8Array(first) : null };
}

async function unlock(): Promise<void> {
  const button = $("[data-journal-unlock]") as HTMLButtonElement | null;
  if (button) button.disabled = true;
  say(s.unlocking);
  try {
    keyInfo = await api<KeyInfo>("GET", "/portal/journal/key");
    if (keyInfo.key?.protection === "clinic" && keyInfo.identity) return await unlocked(keyInfo.identity, keyInfo.key.recipient);
    const { credentialId, prf } = await prfAssertion();
    if (!prf) {
      if (!keyInfo.key) {
        // No PRF on this passkey: the clinic's key protects the journal, and the page says so.
        await api("POST", "/portal/journal/key/clinic", {});
        keyInfo = await api<KeyInfo>("GET", "/portal/journal/key");
        const notice = $("[data-journal-protection]");
        if (notice) notice.textContent = s.protectedClinic;
        return await unlocked(keyInfo.identity!, keyInfo.key!.recipient);
      }
      say(s.noPrfUseRecovery);
      show("#journal-recover", true);
      return;
    }
    const mine = passkeyIdentity(prf);
    const passkeyRecipient = await recipientOf(mine);
    if (!keyInfo.key) return await firstKey(credentialId, passkeyRecipient);
    const wrap = keyInfo.wraps.find((w) => w.credentialId === credentialId);
    if (!wrap) {
      pending = { credentialId, passkeyRecipient };
      say(s.noPrfUseRecovery);
      show("#journal-recover", true);
      ($("#recovery-key-input") as HTMLTextAreaElement | null)?.focus();
      return;
    }
    await unlocked(await unwrapKey(fromBase64(wrap.wrapped), mine), keyInfo.key.recipient);
  } catch (err) {
    const name = (err as { name?: string }).name;
    say(name === "NotAllowedError" || name === "AbortError" ? s.unlockCancelled : err instanceof ApiError ? err.message : s.unlockFailed);
  } finally {
    if (button) button.disabled = false;
  }
}

/** The first unlock: a journal identity and a recovery key are made here; the recovery key is shown once. */
async function firstKey(credentialId: string, passkeyRecipient: string): Promise<void> {
  const identity = await newIdentity();
  const recovery = await newIdentity();
  const recipient = await recipientOf(identity);
  await api("POST", "/portal/journal/key", {
    recipient,
    wraps: [
      { credentialId, wrapped: toBase64(await wrapKey(identity, [passkeyRecipient])) },
      { credentialId: "recovery", wrapped: toBase64(await wrapKey(identity, [await recipientOf(recovery)])) },
    ],
  });
  const notice = $("[data-journal-protection]");
  if (notice) notice.textContent = s.protectedPasskey;
  showRecoveryKey(recovery);
  await unlocked(identity, recipient);
}

function showRecoveryKey(recovery: string): void {
  const pre = $("[data-recovery-key]");
  if (pre) pre.textContent = recovery.match(/.{1,25}/g)!.join("\n");
  const figure = $("[data-recovery-qr]");
  if (figure) {
    // The SVG is made by the qr library from the key itself; parsed as SVG, not as HTML.
    const svg = new DOMParser().parseFromString(encodeQR(recovery, "svg", { ecc: "medium", border: 2 }), "image/svg+xml").documentElement;
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", s.recoveryQr);
    figure.replaceChildren(document.importNode(svg, true));
  }
  show("#journal-recovery-key", true);
}

async function recover(form: HTMLFormElement): Promise<void> {
  const input = form.querySelector<HTMLTextAreaElement>("textarea")!;
  const key = parseRecoveryKey(input.value);
  if (!key) {
    say(s.recoverBad);
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  try {
    keyInfo ??= await api<KeyInfo>("GET", "/portal/journal/key");
    const wrap = keyInfo.wraps.find((w) => w.credentialId === "recovery");
    let identity: string;
    try {
      identity = await unwrapKey(fromBase64(wrap?.wrapped ?? ""), key);
    } catch {
      say(s.recoverWrong);
      input.setAttribute("aria-invalid", "true");
      return;
    }
    input.value = "";
    input.removeAttribute("aria-invalid");
    if (pending) {
      // From now on this passkey opens the journal by itself.
      await api("POST", "/portal/journal/key/wraps", { credentialId: pending.credentialId, wrapped: toBase64(await wrapKey(identity, [pending.passkeyRecipient])) });
      pending = null;
    }
    show("#journal-recover", false);
    await unlocked(identity, keyInfo.key!.recipient);
  } catch (err) {
    say(err instanceof ApiError ? err.message : s.unlockFailed);
  }
}

async function unlocked(identity: string, recipient: string): Promise<void> {
  show("#journal-lock", false);
  say(s.unlocked);
  await onUnlocked(identity, recipient);
}

/** Wires the lock, the recovery key and the recovery form; `then` runs once the journal is open. */
export function setUpUnlock(then: Unlocked): void {
  onUnlocked = then;
  $("[data-journal-unlock]")?.addEventListener("click", () => void unlock());
  $("[data-recovery-print]")?.addEventListener("click", () => window.print());
  $("[data-recovery-done]")?.addEventListener("click", () => {
    $("[data-recovery-key]")?.replaceChildren();
    $("[data-recovery-qr]")?.replaceChildren();
    show("#journal-recovery-key", false);
  });
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.matches("[data-journal-recover]")) {
      event.preventDefault();
      void recover(form);
    }
  });
}
