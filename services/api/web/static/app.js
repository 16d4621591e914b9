/* EHSJ målopfølgning: the little script the pages need. Everything works without it. */
(function () {
  "use strict";

  /* A company already known: fill in its municipality (and name) from its CVR number. */
  document.querySelectorAll("input[data-cvr-lookup]").forEach(function (input) {
    var form = input.form;
    var note = document.getElementById("cvr-note");
    var asked = "";
    function lookup() {
      var cvr = input.value.replace(/\s+/g, "");
      if (!/^[0-9]{8}$/.test(cvr) || cvr === asked) return;
      asked = cvr;
      fetch("/registrer/cvr/" + cvr, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (hint) {
          if (!hint || input.value.replace(/\s+/g, "") !== cvr) return;
          var town = form.elements.namedItem("municipality");
          var name = form.elements.namedItem("company_name");
          var filled = [];
          if (town && !town.value) { town.value = hint.municipality; filled.push("kommunen (" + hint.municipality + ")"); }
          if (name && !name.value && hint.company_name) { name.value = hint.company_name; filled.push("navnet"); }
          if (note && filled.length) {
            note.textContent = "Virksomheden er kendt: " + filled.join(" og ") + " er udfyldt ud fra dens seneste registrering.";
            note.hidden = false;
          }
        })
        .catch(function () { /* no hint: the consultant chooses */ });
    }
    input.addEventListener("input", lookup);
    input.addEventListener("change", lookup);
  });

  /* After a refused form: the keyboard starts at the first field with an error. */
  var invalid = document.querySelector("form [aria-invalid='true']");
  if (invalid) invalid.focus();
})();
