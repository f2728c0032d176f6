/* The task form: table rows added and removed, library picks filling a row, evidence uploads, and drafts kept in
   this browser's localStorage under "jixiao.draft.<user>.<task id>" (no server state for a half-filled form). */
(function () {
  'use strict';
  var form = document.getElementById('task-form');
  if (!form) { return; }
  var ROW = /__i__/g;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');

  // --- table rows ----------------------------------------------------------------------------------
  function addRow(table, index) {
    var template = table.querySelector('template');
    var html = template.innerHTML.replace(ROW, String(index));
    var holder = document.createElement('tbody');
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    table.querySelector('tbody').appendChild(row);
    return row;
  }
  form.addEventListener('click', function (event) {
    var target = event.target;
    if (target.matches('[data-add-row]')) {
      var table = target.closest('[data-table]');
      var next = Number(table.getAttribute('data-next-index') || '0');
      var max = Number(table.getAttribute('data-max-rows') || '0');
      if (max && table.querySelectorAll('tbody tr').length >= max) { return; }
      var row = addRow(table, next);
      table.setAttribute('data-next-index', String(next + 1));
      var first = row.querySelector('input, select, textarea');
      if (first) { first.focus(); }
      scheduleSave();
    } else if (target.matches('.remove-row')) {
      target.closest('tr').remove();
      scheduleSave();
    } else if (target.matches('.drop-file')) {
      target.closest('.file').remove();
      scheduleSave();
    }
  });

  // --- library picks: a chosen indicator fills the empty cells of its row ------------------------------
  form.addEventListener('change', function (event) {
    var input = event.target;
    if (!input.matches('[data-library]')) { return; }
    var list = document.getElementById(input.getAttribute('list'));
    var option = list && Array.prototype.find.call(list.options, function (o) { return o.value === input.value; });
    if (!option) { return; }
    var scope = input.closest('tr') || form;
    var prefix = input.name.slice(0, input.name.lastIndexOf('/') + 1);
    [['library_code', 'data-code'], ['code', 'data-code'], ['name', 'data-name'], ['category', 'data-category'],
     ['unit', 'data-unit'], ['weight', 'data-weight']].forEach(function (pair) {
      var other = scope.querySelector('[name="' + prefix + pair[0] + '"]');
      var value = option.getAttribute(pair[1]);
      if (other && other !== input && !other.value && value) { other.value = value; }
    });
  });

  // --- evidence uploads ------------------------------------------------------------------------------
  form.addEventListener('change', function (event) {
    var input = event.target;
    if (!input.matches('.upload-input') || !input.files.length) { return; }
    var box = input.closest('[data-upload]');
    var status = box.querySelector('.upload-status');
    var body = new FormData();
    var failed = form.getAttribute('data-upload-failed') || 'upload failed';
    body.append('file', input.files[0]);
    status.textContent = '…';
    fetch(form.getAttribute('data-upload-url'), { method: 'POST', body: body, credentials: 'same-origin',
                                                  headers: { 'X-CSRFToken': csrf } })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (answer) {
        if (!answer.ok) { status.textContent = answer.body.error || failed; return; }
        var holder = box.querySelector('.uploaded');
        if (box.getAttribute('data-multiple') !== '1') { holder.innerHTML = ''; }
        var span = document.createElement('span');
        span.className = 'file';
        var hidden = document.createElement('input');
        hidden.type = 'hidden'; hidden.name = box.getAttribute('data-upload'); hidden.value = answer.body.id;
        span.appendChild(hidden);
        span.appendChild(document.createTextNode(answer.body.file_name + ' '));
        holder.appendChild(span);
        status.textContent = '';
        input.value = '';
        scheduleSave();
      })
      .catch(function () { status.textContent = failed; });
  });

  // --- drafts ----------------------------------------------------------------------------------------
  var key = form.getAttribute('data-draft-key');
  var status = document.getElementById('draft-status');
  var discard = document.getElementById('discard-draft');
  var timer = null;

  function storage() { try { return window.localStorage; } catch (e) { return null; } }
  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== 'csrf_token' && el.type !== 'file' && el.type !== 'submit' && el.type !== 'button';
    });
  }
  function collect() {
    var out = [];
    fields().forEach(function (el) {
      if (el.type === 'checkbox' || el.type === 'radio') {
        if (el.checked) { out.push([el.name, el.value]); }
      } else if (el.tagName === 'SELECT' && el.multiple) {
        Array.prototype.forEach.call(el.selectedOptions, function (o) { out.push([el.name, o.value]); });
      } else {
        out.push([el.name, el.value]);
      }
    });
    return out;
  }
  function show(template, at) {
    status.textContent = template.replace('{at}', new Date(at).toLocaleString());
    status.hidden = false;
    discard.hidden = false;
  }
  function save(announce) {
    var store = storage();
    if (!store) { return; }
    var draft = { saved_at: new Date().toISOString(), fields: collect() };
    store.setItem(key, JSON.stringify(draft));
    if (announce) { show(form.getAttribute('data-saved'), draft.saved_at); }
  }
  function scheduleSave() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { save(false); }, 400);
  }
  function restore(draft) {
    Array.prototype.forEach.call(form.querySelectorAll('[data-table]'), function (table) {
      var path = table.getAttribute('data-table') + '/';
      var seen = {};
      draft.fields.forEach(function (pair) {
        if (pair[0].indexOf(path) === 0) { seen[pair[0].slice(path.length).split('/')[0]] = true; }
      });
      var indices = Object.keys(seen).map(Number).sort(function (a, b) { return a - b; });
      if (!indices.length) { return; }
      table.querySelector('tbody').innerHTML = '';
      indices.forEach(function (index) { addRow(table, index); });
      table.setAttribute('data-next-index', String(indices[indices.length - 1] + 1));
    });
    Array.prototype.forEach.call(form.querySelectorAll('[data-upload]'), function (box) {
      box.querySelector('.uploaded').innerHTML = '';
    });
    fields().forEach(function (el) {
      if (el.type === 'checkbox' || el.type === 'radio') { el.checked = false; }
      else if (el.tagName === 'SELECT') { Array.prototype.forEach.call(el.options, function (o) { o.selected = false; }); }
      else if (el.type !== 'hidden') { el.value = ''; }
    });
    draft.fields.forEach(function (pair) {
      var matches = form.querySelectorAll('[name="' + pair[0].replace(/"/g, '\\"') + '"]');
      if (!matches.length) {
        var box = form.querySelector('[data-upload="' + pair[0].replace(/"/g, '\\"') + '"]');
        if (box) {
          var span = document.createElement('span');
          span.className = 'file';
          span.innerHTML = '<input type="hidden">';
          span.firstChild.name = pair[0]; span.firstChild.value = pair[1];
          span.appendChild(document.createTextNode(pair[1].slice(0, 8) + ' '));
          box.querySelector('.uploaded').appendChild(span);
        }
        return;
      }
      Array.prototype.forEach.call(matches, function (el) {
        if (el.type === 'checkbox' || el.type === 'radio') { if (el.value === pair[1]) { el.checked = true; } }
        else if (el.tagName === 'SELECT') {
          Array.prototype.forEach.call(el.options, function (o) { if (o.value === pair[1]) { o.selected = true; } });
        } else { el.value = pair[1]; }
      });
    });
  }

  document.getElementById('save-draft').addEventListener('click', function () { save(true); });
  discard.addEventListener('click', function () {
    var store = storage();
    if (store) { store.removeItem(key); }
    window.location.reload();
  });
  form.addEventListener('input', scheduleSave);
  form.addEventListener('change', scheduleSave);

  var store = storage();
  var saved = store && store.getItem(key);
  if (form.getAttribute('data-rerender') === '1') {
    save(false);  // what the server sent back (with its errors) is the latest draft
  } else if (saved) {
    try {
      var draft = JSON.parse(saved);
      restore(draft);
      show(form.getAttribute('data-restored'), draft.saved_at);
    } catch (e) { store.removeItem(key); }
  }
}());
