// Only improvements: every page works without this file (forms post, pages reload).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // The print run's progress, without reloading the page.
  var box = document.querySelector("[data-progress]");
  if (box) {
    var bar = box.querySelector("progress"), text = box.querySelector("[data-progress-text]");
    var poll = function () {
      fetch(box.getAttribute("data-progress"), { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (s) {
          if (s.total) { bar.max = s.total; bar.value = s.done; text.textContent = s.done + " of " + s.total; }
          if (s.finished) { window.location.reload(); } else { window.setTimeout(poll, 500); }
        })
        .catch(function () { window.setTimeout(function () { window.location.reload(); }, 2000); });
    };
    poll();
  }
  // Drag a file onto the box: it is chosen and sent.
  document.querySelectorAll("form[data-drop]").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (e) { e.preventDefault(); form.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      form.addEventListener(name, function () { form.classList.remove("over"); });
    });
    form.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; form.submit(); }
    });
  });
  // Tables scroll sideways at high zoom instead of pushing the page wider.
  document.querySelectorAll("main table").forEach(function (table) {
    var wrap = document.createElement("div");
    wrap.className = "table-wrap";
    table.parentNode.insertBefore(wrap, table);
    wrap.appendChild(table);
  });
});
