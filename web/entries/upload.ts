// A material's upload with a progress bar: the file goes as the request body (streamed by the
// server into sealed storage, never parsed as a form), its title and target in headers, with the
// CSRF token as htmx would send it. A refusal (too large, wrong type) is shown in #flash as the
// server wrote it.
const form = document.getElementById("material-upload") as HTMLFormElement | null;
if (form) {
  const progress = document.getElementById("material-progress") as HTMLProgressElement;
  const status = document.getElementById("material-status") as HTMLElement;
  const flash = document.getElementById("flash");
  const d = form.dataset;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const file = (form.elements.namedItem("file") as HTMLInputElement).files?.[0];
    const title = (form.elements.namedItem("title") as HTMLInputElement).value;
    const target = (form.elements.namedItem("for") as HTMLSelectElement).value;
    if (!file) return;
    if (file.size > Number(d.maxBytes)) {
      status.textContent = d.tooLargeText ?? "";
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open("POST", d.action ?? "");
    xhr.setRequestHeader("content-type", "application/octet-stream");
    xhr.setRequestHeader("x-material-title", encodeURIComponent(title));
    xhr.setRequestHeader("x-material-for", target);
    xhr.setRequestHeader("hx-request", "true");
    const token = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content;
    if (token) xhr.setRequestHeader("x-csrf-token", token);
    progress.hidden = false;
    progress.value = 0;
    const button = form.querySelector("button[type=submit]") as HTMLButtonElement;
    button.disabled = true;
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
