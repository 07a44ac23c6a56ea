// A document's upload with a progress bar: the file goes as the request body (streamed by the
// server into sealed storage, never parsed as a form), its title and audience in headers, with
// the CSRF token as htmx would send it. A refusal is shown in #flash as the server wrote it.
export {}; // a module: its names stay its own
const form = document.getElementById("document-upload") as HTMLFormElement | null;
if (form) {
  const progress = document.getElementById("document-progress") as HTMLProgressElement;
  const status = document.getElementById("document-status") as HTMLElement;
  const flash = document.getElementById("flash");
  const d = form.dataset;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const file = (form.elements.namedItem("file") as HTMLInputElement).files?.[0];
    if (!file) return;
    if (file.size > Number(d.maxBytes)) {
      status.textContent = d.tooLargeText ?? "";
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open("POST", d.action ?? "");
    xhr.setRequestHeader("content-type", "application/octet-stream");
    xhr.setRequestHeader("x-document-title", encodeURIComponent((form.elements.namedItem("title") as HTMLInputElement).value));
    xhr.setRequestHeader("x-document-audience", (form.elements.namedItem("audience") as HTMLSelectElement).value);
    xhr.setRequestHeader("hx-request", "true");
    const token = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content;
    if (token) xhr.setRequestHeader("x-csrf-token", token);
    const button = form.querySelector("button[type=submit]") as HTMLButtonElement;
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const percent = Math.floor((e.loaded / e.total) * 100);
      progress.value = percent;
      status.textContent = (d.progressText ?? "{percent}").replace("{percent}", String(percent));
    });
    xhr.addEventListener("load", () => {
      button.disabled = false;
      if (xhr.status < 300) {
        progress.value = 100;
        status.textContent = d.doneText ?? "";
        location.assign(xhr.getResponseHeader("hx-redirect") ?? location.href);
        return;
      }
      progress.hidden = true;
      status.textContent = "";
      if (flash) {
        // The server's refusal box, escaped on the server like every page part.
        flash.innerHTML = xhr.responseText;
        flash.setAttribute("tabindex", "-1");
        flash.focus();
      }
    });
    xhr.addEventListener("error", () => {
      button.disabled = false;
      progress.hidden = true;
      status.textContent = d.failedText ?? "";
    });
    xhr.send(file);
  });
}
