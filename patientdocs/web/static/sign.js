// Signing pads: draw with a finger, a stylus or a mouse (pointer events). Each pad's drawing is
// put into its hidden field as a PNG when the form is sent. Without this file the page still
// works: a signature is then the typed name.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-signer]").forEach(function (block) {
    var pad = block.querySelector(".pad"), canvas = block.querySelector("canvas");
    var field = block.querySelector("input[type=hidden]"), typed = block.querySelector("[data-typed]");
    var ctx = canvas.getContext("2d"), drawing = false, drawn = false;
    pad.hidden = false;
    canvas.style.touchAction = "none";  // the finger draws; it does not scroll the page
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#10205a";
    function point(e) {
      var r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
    }
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true; canvas.setPointerCapture(e.pointerId);
      var p = point(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); e.preventDefault();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) { return; }
      var p = point(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true; e.preventDefault();
    });
    ["pointerup", "pointercancel"].forEach(function (name) {
      canvas.addEventListener(name, function () { drawing = false; });
    });
    block.querySelector("[data-clear]").addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; field.value = "";
    });
    block.closest("form").addEventListener("submit", function () {
      field.value = drawn && !(typed && typed.checked) ? canvas.toDataURL("image/png") : "";
    });
  });
});
