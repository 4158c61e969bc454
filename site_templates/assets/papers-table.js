// Sort and filter the table of all papers. Without JavaScript the table is complete and
// sorted by title; this only adds controls. A large survey's table comes empty, with
// data-papers-source naming the site's JSON list of its rows; this fills it first.
// No library, nothing loaded from elsewhere; every text goes in as text, never as HTML.
(function () {
  "use strict";

  function text(cell) {
    return (cell ? cell.textContent : "").trim();
  }

  // Words compared as a reader types them: no accents, no case ("yilmaz" finds "Yılmaz").
  function folded(value) {
    return value.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/\u0131/g, "i").toLowerCase();
  }

  var collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

  function option(select, value, label) {
    var item = document.createElement("option");
    item.value = value;
    item.textContent = label;
    select.appendChild(item);
  }

  function choice(name, label, values, labels) {
    var wrap = document.createElement("label");
    wrap.className = "papers-controls__field";
    var caption = document.createElement("span");
    caption.textContent = label;
    var select = document.createElement("select");
    select.name = name;
    option(select, "", "All");
    values.forEach(function (value) {
      option(select, value, labels[value] || value);
    });
    wrap.appendChild(caption);
    wrap.appendChild(select);
    return { wrap: wrap, input: select };
  }

  function distinct(rows, attribute, compare) {
    var seen = {};
    rows.forEach(function (row) {
      var value = row.getAttribute(attribute);
      if (value) seen[value] = true;
    });
    return Object.keys(seen).sort(compare);
  }

  function enhance(table) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var controls = table.closest(".papers-index").querySelector(".papers-controls");
    // Sections keep the curator's order, in the menu and when sorting.
    var sectionNames = {};
    var sectionOrder = {};
    rows.forEach(function (row) {
      var id = row.getAttribute("data-section");
      sectionNames[id] = text(row.cells[4]);
      sectionOrder[id] = Number(row.getAttribute("data-section-order"));
    });
    var order = distinct(rows, "data-section", function (a, b) { return sectionOrder[a] - sectionOrder[b]; });

    // A visible label, as the menus have: a placeholder alone is gone once typing starts, and
    // the name a voice-control user says is the one on screen.
    var words = document.createElement("label");
    words.className = "papers-controls__field papers-controls__words";
    var wordsCaption = document.createElement("span");
    wordsCaption.textContent = "Filter";
    var search = document.createElement("input");
    search.type = "search";
    search.placeholder = "title, author, venue, key or arXiv id";
    words.appendChild(wordsCaption);
    words.appendChild(search);
    var section = choice("section", "Section", order, sectionNames);
    var year = choice("year", "Year", distinct(rows, "data-year", function (a, b) { return b - a; }), {});
    var venue = choice("venue", "Venue", distinct(rows, "data-venue", function (a, b) {
      return a.localeCompare(b, undefined, { sensitivity: "base" });
    }), {});
    var count = document.createElement("p");
    count.className = "papers-controls__count";
    count.setAttribute("aria-live", "polite");
    [words, section.wrap, year.wrap, venue.wrap, count].forEach(function (node) {
      controls.appendChild(node);
    });
    controls.hidden = false;

    // What the words filter by: title, authors (every one, though the table shows three), year,
    // venue, citation key and arXiv id, folded once.
    var haystacks = rows.map(function (row) {
      var cells = Array.prototype.slice.call(row.cells, 0, 4).map(text);
      return folded(cells.join(" ") + " " + (row.getAttribute("data-authors") || "") + " " + (row.getAttribute("data-ids") || ""));
    });

    function filter() {
      var words = folded(search.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row, index) {
        var haystack = haystacks[index];
        var visible = words.every(function (word) { return haystack.indexOf(word) >= 0; }) &&
          (!section.input.value || row.getAttribute("data-section") === section.input.value) &&
          (!year.input.value || row.getAttribute("data-year") === year.input.value) &&
          (!venue.input.value || row.getAttribute("data-venue") === venue.input.value);
        row.hidden = !visible;
        if (visible) shown += 1;
      });
      count.textContent = shown === rows.length ? rows.length + " papers" : shown + " of " + rows.length + " papers";
    }

    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    function sort(column, button) {
      var ascending = headers[column].getAttribute("aria-sort") !== "ascending";
      var numeric = headers[column].getAttribute("data-sort") === "number";
      headers.forEach(function (header) { header.removeAttribute("aria-sort"); });
      headers[column].setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var keyed = rows.map(function (row, index) {
        var cell = row.cells[column];
        var value = text(cell);
        // A cell with nothing known (no year, no venue, "Authors not listed") sorts last either way.
        var blank = value === "" || cell.classList.contains("papers-unknown");
        if (column === 4) value = sectionOrder[row.getAttribute("data-section")];
        else if (column === 1 && row.getAttribute("data-author-sort")) value = row.getAttribute("data-author-sort");
        else if (numeric) value = blank ? 0 : Number(value);
        else value = value.toLowerCase();
        return { row: row, value: value, blank: blank && column !== 4, index: index };
      });
      keyed.sort(function (a, b) {
        if (a.blank !== b.blank) return a.blank ? 1 : -1;
        var result = 0;
        if (typeof a.value === "string") result = collator.compare(a.value, b.value);
        else result = a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
        return (ascending ? result : -result) || a.index - b.index;
      });
      // Rows move in one step: appended one by one, each move laid the page out again.
      var ordered = document.createDocumentFragment();
      keyed.forEach(function (item) { ordered.appendChild(item.row); });
      body.appendChild(ordered);
      button.focus();
    }

    headers.forEach(function (header, column) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "papers-sort";
      // The column's own name: a screen reader says it before each cell ("Year, 2024"), with
      // the header's aria-sort telling how the rows are sorted; the button says what it does.
      button.textContent = header.textContent;
      button.title = "Sort by " + header.textContent;
      button.addEventListener("click", function () { sort(column, button); });
      header.textContent = "";
      header.appendChild(button);
    });
    [search, section.input, year.input, venue.input].forEach(function (input) {
      input.addEventListener("input", filter);
      input.addEventListener("change", filter);
    });
    filter();
  }

  function cell(row, value, href) {
    var td = row.insertCell();
    if (href) {
      var link = document.createElement("a");
      link.setAttribute("href", href);
      link.textContent = value;
      td.appendChild(link);
    } else {
      td.textContent = value;
    }
    return td;
  }

  // Each paper is [title, authors shown, year, venue, section number, venue series, link,
  // every author, the first author's family name for sorting, its key and arXiv id].
  function fill(table, data) {
    var body = table.tBodies[0];
    data.papers.forEach(function (paper) {
      var section = data.sections[paper[4]];
      var row = body.insertRow();
      row.setAttribute("data-year", paper[2]);
      row.setAttribute("data-section", section.id);
      row.setAttribute("data-section-order", paper[4]);
      row.setAttribute("data-venue", paper[5]);
      row.setAttribute("data-authors", paper[7]);
      row.setAttribute("data-author-sort", paper[8]);
      row.setAttribute("data-ids", paper[9]);
      cell(row, paper[0], paper[6]);
      if (paper[1]) cell(row, paper[1]);
      else cell(row, "Authors not listed").className = "papers-unknown";
      cell(row, String(paper[2]));
      cell(row, paper[3]);
      cell(row, section.title, section.href);
    });
  }

  // Said instead of an empty table: a browser does not let a page opened from a file read
  // the list (papers.json) beside it.
  function unavailable(table) {
    var note = document.createElement("p");
    note.className = "papers-unavailable";
    note.setAttribute("role", "status");
    note.textContent = location.protocol === "file:"
      ? "The table is built from papers.json, which a browser does not let a page opened from a file read. Serve the site (survey serve, or python3 -m http.server in site/) to use it, or browse the sections, the authors or the keywords."
      : "The list of papers (papers.json) could not be loaded. Reload the page, or browse the sections, the authors or the keywords.";
    table.parentNode.insertBefore(note, table);
  }

  function load(table) {
    var source = table.getAttribute("data-papers-source");
    if (!source) return enhance(table);
    var request = new XMLHttpRequest();
    request.open("GET", source);
    request.responseType = "json";
    request.onload = function () {
      if (request.status !== 200 || !request.response) return unavailable(table);
      fill(table, request.response);
      enhance(table);
    };
    request.onerror = function () { unavailable(table); };
    request.send();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("table[data-papers-table]"), load);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
