// crmhub review: keyboard control of the review page. No dependencies, no
// network: j/k move through the queue, a decision key (s, n, h, f, v, a, r,
// u) arms its button and focuses "why", Enter records, Esc cancels.
(function () {
  "use strict";
  var armed = null;
  var hint = document.getElementById("armed");
  var status = document.getElementById("status");

  function say(text) {
    var p = document.createElement("p");
    p.className = "flash";
    p.textContent = text;
    status.replaceChildren(p);
  }

  function disarm() {
    if (armed) {
      armed.classList.remove("armed");
      armed.removeAttribute("aria-pressed");
    }
    armed = null;
    if (hint) { hint.hidden = true; hint.textContent = ""; }
  }

  function arm(button) {
    disarm();
    armed = button;
    button.classList.add("armed");
    button.setAttribute("aria-pressed", "true");
    var form = button.form;
    var focus = button.dataset.focus ? form.querySelector("#" + button.dataset.focus) : null;
    var why = form.querySelector("[name=why]");
    var label = button.textContent.replace(/\s+\S$/, "").trim();
    var msg = "“" + label + "”: type why, then Enter to record (Esc cancels).";
    if (hint && form.contains(hint)) { hint.textContent = msg; hint.hidden = false; } else { say(msg); }
    // focus moves on the key's keyup, so the key itself is not typed
    // into the field
    pendingFocus = focus && !focus.value ? focus : why;
  }

  var pendingFocus = null;
  document.addEventListener("keyup", function () {
    if (pendingFocus) {
      pendingFocus.focus();
      pendingFocus = null;
    }
  });

  // Enter in a field submits only through an armed button, never the
  // form's first button by default
  Array.prototype.forEach.call(document.querySelectorAll("form.decide, form.undo"), function (f) {
    f.addEventListener("submit", function (e) {
      if (!e.submitter || e.submitter.disabled) { e.preventDefault(); }
    });
  });

  function submit(form) {
    var why = form.querySelector("[name=why]");
    if (!why.value.trim()) {
      say("Say why first: the reason stays with the decision.");
      why.focus();
      return;
    }
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit(armed);
    } else {
      armed.click();
    }
  }

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT") && t.type !== "checkbox";
    if (e.key === "Escape") {
      disarm();
      if (typing) { t.blur(); }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (typing) {
      if (e.key === "Enter" && armed && t.form === armed.form) {
        e.preventDefault();
        var why = t.form.querySelector("[name=why]");
        if (t !== why && !why.value.trim()) { why.focus(); return; }
        submit(t.form);
      }
      return;
    }
    if (e.key === "Enter" && armed) {
      e.preventDefault();
      submit(armed.form);
      return;
    }
    var body = document.body;
    switch (e.key) {
      case "j":
        if (body.dataset.next) { window.location.assign(body.dataset.next); }
        e.preventDefault();
        return;
      case "k":
        if (body.dataset.prev) { window.location.assign(body.dataset.prev); }
        e.preventDefault();
        return;
      case "g":
        var g = document.getElementById("whole-group");
        if (g) { g.checked = !g.checked; g.focus(); e.preventDefault(); }
        return;
    }
    var b = document.querySelector("button[data-key='" + e.key + "']");
    if (b) {
      e.preventDefault();
      arm(b);
    }
  });

  var current = document.getElementById("current");
  if (current) {
    current.focus({ preventScroll: false });
  }
})();
