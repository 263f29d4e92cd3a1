// The mailing composer's rich-text editor: a contenteditable area kept in step with the
// form's textarea (which stays the field that is sent, and is what users without
// JavaScript edit). The server sanitises whatever arrives.
(function () {
  "use strict";

  function setUp(root) {
    const source = root.querySelector(".editor-source");
    const editor = root.querySelector(".editor");
    const toolbar = root.querySelector(".editor-toolbar");
    if (!source || !editor || editor.dataset.ready) return;
    editor.dataset.ready = "1";
    editor.innerHTML = source.value;
    source.hidden = true;
    editor.hidden = false;
    toolbar.hidden = false;
    const sync = function () {
      source.value = editor.innerHTML;
      source.dispatchEvent(new Event("input", { bubbles: true }));
    };
    editor.addEventListener("input", sync);
    toolbar.addEventListener("click", function (event) {
      const button = event.target.closest("button[data-command]");
      if (!button) return;
      event.preventDefault();
      let value = button.dataset.value || null;
      if (button.dataset.prompt) {
        value = window.prompt(button.dataset.prompt, "https://");
        if (!value) return;
      }
      editor.focus();
      document.execCommand(button.dataset.command, false, value);
      sync();
    });
  }

  // What was typed in the last moments is saved before the page is left: the autosave
  // waits for a pause in typing, and adding a list or a file, or going to the check,
  // leaves the page. Other forms and links wait for that save; closing the tab sends
  // it as a beacon.
  function composer() { return document.querySelector("form.composer"); }

  function flush(form) {
    delete form.dataset.dirty;
    return fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "HX-Request": "true" },
      credentials: "same-origin",
    });
  }

  document.addEventListener("input", function (event) {
    const form = event.target.closest && event.target.closest("form.composer");
    if (form) form.dataset.dirty = "1";
  }, true);
  document.addEventListener("change", function (event) {
    const form = event.target.closest && event.target.closest("form.composer");
    if (form) form.dataset.dirty = "1";
  }, true);
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.matches && event.target.matches("form.composer")) delete event.target.dataset.dirty;
  });
  document.addEventListener("submit", function (event) {
    const form = composer();
    if (!form || event.target === form || !form.dataset.dirty) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const other = event.target;
    const submitter = event.submitter;
    flush(form).finally(function () { other.requestSubmit(submitter || undefined); });
  }, true);
  document.addEventListener("click", function (event) {
    const form = composer();
    const link = event.target.closest && event.target.closest("a[href]");
    if (!form || !link || !form.dataset.dirty || link.target) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    flush(form).finally(function () { link.click(); });
  }, true);
  window.addEventListener("pagehide", function () {
    const form = composer();
    if (form && form.dataset.dirty) {
      delete form.dataset.dirty;
      navigator.sendBeacon(form.action, new FormData(form));
    }
  });

  function scan(node) {
    if (node.matches && node.matches("form.composer")) setUp(node);
    (node.querySelectorAll ? node.querySelectorAll("form.composer") : []).forEach(setUp);
  }

  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:load", function (event) { scan(event.target); });
})();
