/* EHSJ målopfølgning: the little script the pages need. Everything works without it. */
(function () {
  "use strict";

  /* A company already known: fill in its municipality (and name) from its CVR number. The input's
     data-cvr-lookup holds the prefix of its row's fields ("" for the form's own, "participant_2_"
     for a participant's row), so a participant's CVR fills in that row only. */
  function bindLookup(input) {
    var form = input.form;
    var prefix = input.getAttribute("data-cvr-lookup") || "";
    var asked = "";
    function lookup() {
      var cvr = input.value.replace(/\s+/g, "");
      if (!/^[0-9]{8}$/.test(cvr) || cvr === asked) return;
      asked = cvr;
      fetch("/registrer/cvr/" + cvr, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (hint) {
          if (!hint || input.value.replace(/\s+/g, "") !== cvr) return;
          var town = form.elements.namedItem(prefix + "municipality");
          var name = form.elements.namedItem(prefix + "company_name");
          var note = document.getElementById(prefix + "cvr-note");
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
  }
  document.querySelectorAll("input[data-cvr-lookup]").forEach(bindLookup);

  /* "Flere rækker": one more empty row of participants, without a round trip (without JavaScript
     the button posts the form and the page comes back with more rows). */
  var more = document.querySelector("button[data-more-rows]");
  var rows = document.getElementById("participant-rows");
  var count = document.getElementById("participant-rows-count");
  if (more && rows && count) {
    more.addEventListener("click", function (event) {
      var last = rows.querySelector("fieldset[data-participant-row]:last-of-type");
      if (!last) return;
      event.preventDefault();
      var from = "participant_" + last.getAttribute("data-participant-row") + "_";
      var number = parseInt(count.value, 10) + 1;
      var to = "participant_" + number + "_";
      var row = last.cloneNode(true);
      row.setAttribute("data-participant-row", String(number));
      row.classList.remove("row-error");
      row.removeAttribute("aria-describedby");
      row.querySelector("legend").textContent = "Deltager " + number;
      row.querySelectorAll(".error").forEach(function (el) { el.remove(); });
      row.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
      row.querySelectorAll("[id], [name], [for], [aria-describedby], [data-cvr-lookup]").forEach(function (el) {
        ["id", "name", "for", "data-cvr-lookup"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) el.setAttribute(attr, value.split(from).join(to));
        });
        el.removeAttribute("aria-invalid");
        el.removeAttribute("aria-describedby");
      });
      row.id = "f-" + to;
      row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      row.querySelectorAll("select").forEach(function (select) { select.value = ""; });
      row.querySelectorAll(".cvr-note").forEach(function (note) { note.hidden = true; note.textContent = ""; });
      rows.appendChild(row);
      count.value = String(number);
      row.querySelectorAll("input[data-cvr-lookup]").forEach(bindLookup);
      var first = row.querySelector("input, select");
      if (first) first.focus();
    });
  }

  /* After a refused form: the keyboard starts at the first field with an error. */
  var invalid = document.querySelector("form [aria-invalid='true']");
  if (invalid) invalid.focus();
})();
