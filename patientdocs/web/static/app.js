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

// Signature boxes: drawn with a finger, a stylus or a mouse; the drawing goes in a hidden field
// as a PNG. Without this script the boxes stay hidden and the typed name is the signature.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-signature]").forEach(function (pad) {
    var canvas = pad.querySelector("canvas"), field = pad.querySelector("input[type=hidden]");
    var ctx = canvas.getContext("2d"), drawing = false, drawn = false;
    pad.hidden = false;
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#000";
    var at = function (e) {
      var r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
    };
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true; canvas.setPointerCapture(e.pointerId);
      var p = at(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]);
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) { return; }
      var p = at(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true;
    });
    var stop = function () {
      if (drawing && drawn) { field.value = canvas.toDataURL("image/png"); }
      drawing = false;
    };
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    pad.querySelector("[data-clear]").addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); field.value = ""; drawn = false;
    });
  });
});
