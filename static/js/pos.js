/* Store POS page: pick a CSV, map its columns, preview (nothing written), then import. */
(function () {
  "use strict";
  const config = Wink.readJson("pos-config");
  const fileInput = document.getElementById("pos-file");
  const status = document.getElementById("pos-status");
  const importButton = document.getElementById("pos-import-btn");
  const selects = Array.from(document.querySelectorAll("#pos-mapping select[data-field]"));
  const naive = document.getElementById("pos-naive");
  const remembered = (config.options && config.options.mapping) || {};
  if (config.options && config.options.naive_timestamps) naive.value = config.options.naive_timestamps;

  function fillColumns(columns, mapping) {
    selects.forEach(function (select) {
      const field = select.dataset.field;
      select.replaceChildren(Wink.el("option", { value: "", text: "(none)" }));
      columns.forEach(function (column) {
        select.appendChild(Wink.el("option", { value: column, text: column, selected: mapping[field] === column }));
      });
    });
  }

  function options() {
    const mapping = {};
    selects.forEach(function (select) { if (select.value) mapping[select.dataset.field] = select.value; });
    return { mapping: mapping, naive_timestamps: naive.value };
  }

  function form(withOptions) {
    const data = new FormData();
    data.append("file", fileInput.files[0]);
    if (withOptions) data.append("options", JSON.stringify(options()));
    return data;
  }

  function rows(tbody, items, cells) {
    tbody.replaceChildren();
    items.forEach(function (item) {
      const tr = Wink.el("tr");
      cells(item).forEach(function (value) { tr.appendChild(Wink.el("td", { text: value === null ? "" : String(value) })); });
      tbody.appendChild(tr);
    });
  }

  let mapped = false;
  fileInput.addEventListener("change", function () {
    // A new file: read its header so the mapping shows its columns (the server guesses or remembers them).
    mapped = false;
    importButton.disabled = true;
    const file = fileInput.files[0];
    if (!file) return;
    file.slice(0, 64 * 1024).text().then(function (text) {
      const header = text.split(/\r?\n/)[0].replace(/^\uFEFF/, "").split(",").map(function (c) { return c.replace(/^"|"$/g, "").trim(); });
      fillColumns(header, remembered);
    });
  });

  document.getElementById("pos-preview-btn").addEventListener("click", async function () {
    if (!fileInput.files[0]) { status.textContent = "Choose a CSV file first."; return; }
    status.textContent = "Checking the file…";
    try {
      const anyMapped = selects.some(function (s) { return s.value; });
      const data = await Wink.api("POST", config.api.preview, form(mapped || anyMapped));
      fillColumns(data.columns, data.options.mapping);
      mapped = true;
      rows(document.querySelector("#pos-preview-rows tbody"), data.rows, function (r) {
        return [r.line, r.transaction_id, r.ts, r.amount, r.currency, r.items];
      });
      rows(document.querySelector("#pos-preview-rejected tbody"), data.result.rejected, function (r) {
        return [r.line, r.transaction_id, r.field, r.error];
      });
      document.getElementById("pos-preview").hidden = false;
      const res = data.result;
      status.textContent = "Preview: " + res.rows + " rows; " + res.accepted + " to store, " + res.duplicates +
        " already stored, " + res.rejected_count + " rejected. Nothing has been written yet.";
      importButton.disabled = false;
    } catch (error) {
      status.textContent = "Cannot preview: " + error.message;
    }
  });

  importButton.addEventListener("click", async function () {
    status.textContent = "Importing…";
    importButton.disabled = true;
    let data;
    try {
      data = await Wink.api("POST", config.api.import, form(true));
    } catch (error) {
      if (error.status !== 409 || !error.data) { status.textContent = "Import failed: " + error.message; return; }
      data = error.data;  // conflicts: the good rows were stored, the conflicting ids are named
    }
    const res = data.result;
    const box = document.getElementById("pos-result");
    box.hidden = false;
    box.replaceChildren(Wink.el("p", { id: "pos-result-text", text: "Imported: " + res.accepted + " stored, " +
      res.duplicates + " duplicates, " + res.rejected_count + " rejected" +
      (res.conflicts.length ? " (conflicting ids: " + res.conflicts.join(", ") + ")" : "") + "." }));
    status.textContent = "Done.";
  });
})();
