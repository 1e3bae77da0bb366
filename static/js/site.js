// Large-text mode: a cookie so the server renders the page large from the first paint.
(function () {
  var toggle = document.getElementById("large-text-toggle");
  if (!toggle) return;
  toggle.addEventListener("click", function () {
    var on = !document.body.classList.contains("large-text");
    document.body.classList.toggle("large-text", on);
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    document.cookie = "large_text=" + (on ? "1" : "0") + "; path=/; max-age=31536000; SameSite=Lax";
  });
})();

// Sizes that depend on data (progress, tree depth) come as data attributes and are set here
// through the CSSOM: the Content-Security-Policy allows no inline style attributes.
(function () {
  function applySizes(root) {
    root.querySelectorAll("[data-width]").forEach(function (el) {
      el.style.width = parseFloat(el.dataset.width) + "%";
    });
    root.querySelectorAll("[data-indent]").forEach(function (el) {
      el.style.paddingLeft = parseFloat(el.dataset.indent) + "rem";
    });
  }
  applySizes(document);
  // Fragments swapped in by htmx (progress polling).
  document.addEventListener("htmx:load", function (event) {
    applySizes(event.detail.elt.parentNode || event.detail.elt);
  });
})();
