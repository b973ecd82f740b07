// Progressive enhancement only: every page works without this file.

// The intake form shows the branch that applies (de-identified or identified person).
document.addEventListener("DOMContentLoaded", () => {
  const radios = document.querySelectorAll('input[name="identification"]');
  const deidentified = document.getElementById("deidentified-fields");
  const person = document.getElementById("person-fields");
  if (!radios.length || !deidentified || !person) return;
  const update = () => {
    const chosen = document.querySelector('input[name="identification"]:checked');
    const identified = chosen !== null && chosen.value === "identified";
    person.hidden = !identified;
    deidentified.hidden = identified;
  };
  radios.forEach((radio) => radio.addEventListener("change", update));
  update();
});
