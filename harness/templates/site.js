// The matrix's filters: a column shows when its implementation is chosen, a row when its family
// is chosen and, with a verdict chosen, when one of its shown cells has that verdict.
(function () {
  const matrix = document.getElementById("matrix");
  if (!matrix) return;
  const choice = (name) => document.getElementById("filter-" + name).value;
  function apply() {
    const implementation = choice("implementation"), family = choice("family"),
      verdict = choice("verdict");
    matrix.querySelectorAll(".env").forEach((cell) => {
      cell.classList.toggle("hidden", implementation !== "" &&
        cell.dataset.implementation !== implementation);
    });
    let shown = 0;
    matrix.querySelectorAll("tbody tr").forEach((row) => {
      const cells = [...row.querySelectorAll("td.env:not(.hidden)")];
      const visible = (family === "" || row.dataset.family === family) &&
        (verdict === "" || cells.some((cell) => cell.dataset.verdict === verdict));
      row.classList.toggle("hidden", !visible);
      shown += visible;
    });
    document.getElementById("shown").textContent = shown + " claims shown";
  }
  document.querySelectorAll("#filters select").forEach((select) =>
    select.addEventListener("change", apply));
  apply();
})();
