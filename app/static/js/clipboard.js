// Copy buttons, e.g. the letter head on a person's page (SPEC C6). A button with
// data-copy-from="<element id>" copies that element's text; its label shows the text of
// data-copied (translated by the template) for two seconds. Listens on the document, so it
// also works for content that htmx swapped in. Where navigator.clipboard is missing (plain
// http to a LAN address is no secure context) a hidden textarea and execCommand("copy")
// copy instead; if both fail, the text is selected for Ctrl+C and the button says so.
(function () {
  "use strict";
  if (window.depescheClipboard) return; // loaded once per page, even if included twice
  window.depescheClipboard = true;

  var timers = new WeakMap();
  var labels = new WeakMap();

  function copyWithTextarea(text) {
    var active = document.activeElement;
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.setAttribute("aria-hidden", "true");
    area.className = "clipboard-buffer"; // off screen by CSS (the CSP forbids style attributes)
    document.body.appendChild(area);
    area.select();
    var done = false;
    try {
      done = document.execCommand("copy");
    } catch (error) {
      done = false;
    }
    document.body.removeChild(area);
    if (active && active.focus) active.focus();
    return done;
  }

  function copy(text) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      return navigator.clipboard.writeText(text).catch(function () {
        if (!copyWithTextarea(text)) throw new Error("copy failed");
      });
    }
    return copyWithTextarea(text) ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function show(button, text, state) {
    var label = button.querySelector(".copy-label") || button;
    if (!labels.has(button)) labels.set(button, label.textContent);
    label.textContent = text;
    button.classList.remove("is-copied", "is-failed");
    button.classList.add(state);
    clearTimeout(timers.get(button));
    timers.set(
      button,
      setTimeout(function () {
        label.textContent = labels.get(button);
        button.classList.remove(state);
      }, 2000)
    );
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy-from]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy-from"));
    if (!source) return;
    copy(source.textContent).then(
      function () {
        show(button, button.getAttribute("data-copied"), "is-copied");
      },
      function () {
        selectText(source);
        show(button, button.getAttribute("data-copy-failed"), "is-failed");
      }
    );
  });
})();
