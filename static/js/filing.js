// Forms taking several photos (filing, room evidence): list the files chosen, in order, before sending.
(function () {
  var input = document.querySelector('input[type="file"][multiple]');
  var out = document.getElementById("pages-chosen");
  if (!input || !out) return;
  input.addEventListener("change", function () {
    var names = Array.prototype.map.call(input.files, function (file, i) {
      return i + 1 + ". " + file.name;
    });
    out.textContent = names.length ? out.dataset.label + " " + names.length + " — " + names.join(", ") : "";
  });
})();
