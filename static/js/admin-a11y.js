/* Accessible names for the admin's autocomplete fields (select2, drawn by Django's
   autocomplete.js). select2 names its combobox only by the chosen value, so an empty field has
   no name at all (axe: aria-input-field-name). Here each combobox and its text box are also
   labelled by the field's own <label>. Loaded from a file (the CSP allows no inline script). */
(function () {
  "use strict";

  function nameAutocompletes(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var container = select.nextElementSibling;
      var label = select.id && document.querySelector('label[for="' + select.id + '"]');
      if (!container || !label) {
        return;
      }
      if (!label.id) {
        label.id = select.id + "_label";
      }
      var combobox = container.querySelector('.select2-selection[role="combobox"]');
      if (combobox) {
        var ids = (combobox.getAttribute("aria-labelledby") || "").split(" ").filter(Boolean);
        if (ids.indexOf(label.id) === -1) {
          combobox.setAttribute("aria-labelledby", [label.id].concat(ids).join(" "));
        }
      }
      var rendered = container.querySelector('.select2-selection__rendered[role="textbox"]');
      if (rendered) {
        rendered.setAttribute("aria-labelledby", label.id);
      }
    });
  }

  // select2 draws its markup when jQuery's ready callbacks run (sometimes after the load event)
  // and again for every inline row added: name whatever it adds, whenever it adds it.
  function start() {
    nameAutocompletes(document);
    new MutationObserver(function () {
      nameAutocompletes(document);
    }).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
