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

  function scan(node) {
    if (node.matches && node.matches("form.composer")) setUp(node);
    (node.querySelectorAll ? node.querySelectorAll("form.composer") : []).forEach(setUp);
  }

  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:load", function (event) { scan(event.target); });
})();
