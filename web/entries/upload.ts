// A file's upload with a progress bar, for every form marked data-upload-action (materials,
// documents, message attachments, the library): the file goes as the request body (streamed by
// the server into sealed storage, never parsed as a form) and the other fields in the headers the
// form names, e.g. data-upload-header-title="x-document-title" sends the field "title" as
// x-document-title. The CSRF token goes as htmx would send it. A refusal (too large, wrong type)
// is shown in #flash as the server wrote it.
export {}; // a module: its names stay its own

const HEADER_PREFIX = "data-upload-header-";

/** The form's fields and the headers that carry them, as the form declares them. */
function headersOf(form: HTMLFormElement): [string, string][] {
  const pairs: [string, string][] = [];
  for (const { name, value: header } of Array.from(form.attributes)) {
    if (!name.startsWith(HEADER_PREFIX)) continue;
    const field = form.elements.namedItem(name.slice(HEADER_PREFIX.length)) as HTMLInputElement | HTMLSelectElement | null;
    // encodeURI: a header takes ASCII only, and the server's decodeURIComponent gives back the
    // exact text, while plain values ("group", "12:1765000000000", "both") go as they are.
    if (field) pairs.push([header, encodeURI(field.value)]);
  }
  return pairs;
}

function wire(form: HTMLFormElement): void {
  const progress = form.querySelector("progress") as HTMLProgressElement;
  const status = form.querySelector("[role=status]") as HTMLElement;
  const button = form.querySelector("button[type=submit]") as HTMLButtonElement;
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
    xhr.open("POST", d.uploadAction ?? "");
    xhr.setRequestHeader("content-type", "application/octet-stream");
    for (const [header, value] of headersOf(form)) xhr.setRequestHeader(header, value);
    xhr.setRequestHeader("hx-request", "true");
    const token = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content;
    if (token) xhr.setRequestHeader("x-csrf-token", token);
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

for (const form of document.querySelectorAll<HTMLFormElement>("form[data-upload-action]")) wire(form);
