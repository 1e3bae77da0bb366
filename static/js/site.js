// Large-text mode: a cookie so the server renders the page large from the first paint.
(function () {
  var toggle = document.getElementById("large-text-toggle");
  if (!toggle) return;
  toggle.addEventListener("click", function () {
    var on = !document.body.classList.contains("large-text");
    document.body.classList.toggle("large-text", on);
    // Larger labels need a wider screen before the navigation fits on one line (see base.html).
    var nav = document.querySelector(".site-nav");
    if (nav) {
      nav.classList.toggle("navbar-expand-xxl", on);
      nav.classList.toggle("navbar-expand-xl", !on);
    }
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

// "Back" on the error pages: the browser's history when there is one (the link's address, the
// referring page or home, is the fallback). No inline handlers: the CSP forbids them.
(function () {
  document.querySelectorAll("[data-history-back]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (window.history.length > 1) {
        event.preventDefault();
        window.history.back();
      }
    });
  });
})();

// A "select all" checkbox ticks or clears the other boxes of its form (visible on phones too,
// where a table's head is hidden).
(function () {
  document.querySelectorAll("[data-check-all]").forEach(function (all) {
    all.addEventListener("change", function () {
      all.closest("form").querySelectorAll("input[type=checkbox]:not([data-check-all])").forEach(function (box) {
        box.checked = all.checked;
      });
    });
  });
})();
