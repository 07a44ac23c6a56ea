// The idle sign-out warning: counts down from what the server said, shows the warning a little
// before the end, and lets the person stay signed in. Loaded only for signed-in pages.

const box = document.getElementById("idle-warning");
if (box) {
  const period = Number(box.dataset.endsIn ?? "0") * 1000;
  const warnBefore = Math.min(Number(box.dataset.warnBefore ?? "120") * 1000, period / 2);
  let deadline = Date.now() + period;
  let warnTimer = 0;
  let endTimer = 0;

  const signedOut = () => location.assign("/signin?ended=idle");

  const schedule = () => {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    box.hidden = true;
    warnTimer = window.setTimeout(() => {
      box.hidden = false;
      box.querySelector<HTMLButtonElement>("[data-stay-signed-in]")?.focus();
    }, Math.max(0, deadline - warnBefore - Date.now()));
    // A little after the server's deadline, so the session is surely gone when the page moves on.
    endTimer = window.setTimeout(signedOut, Math.max(0, deadline + 2000 - Date.now()));
  };

  // Anything the person sends restarts the server's idle clock, so restart ours too; background
  // refreshes (hx-headers='{"X-Hearth-Background": "1"}') do not.
  document.addEventListener("htmx:afterRequest", (event) => {
    const headers = (event as CustomEvent<{ requestConfig?: { headers?: Record<string, string> } }>).detail.requestConfig?.headers ?? {};
    if (headers["X-Hearth-Background"] === "1") return;
    deadline = Date.now() + period;
    schedule();
  });

  box.querySelector("[data-stay-signed-in]")?.addEventListener("click", async () => {
    const token = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";
    try {
      const res = await fetch("/session/extend", { method: "POST", headers: { "x-csrf-token": token }, credentials: "same-origin" });
      if (res.status === 401) return signedOut();
      if (res.ok) {
        deadline = Date.now() + period;
        schedule();
      }
    } catch {
      // Offline: leave the warning up; the countdown still ends the page on time.
    }
  });

  schedule();
}
