/* The designers' modeler: bpmn-js with the Camunda 7 properties panel (candidate groups, due date, form key,
   external topic), modelling advice on the diagram while editing (bpmnlint's recommended rules, vendor/
   designer-lint.js), everything in Chinese on Chinese pages (designer-zh.js), validation and deployment through
   /designer/model, errors listed and their elements marked; after a deployment the page reloads to the new version. */
(function () {
  'use strict';
  var host = document.getElementById('modeler');
  if (!host || typeof window.BpmnJS !== 'function' || !window.BpmnJSPropertiesPanel) { return; }
  var panel = window.BpmnJSPropertiesPanel;
  var texts = JSON.parse(host.getAttribute('data-texts'));
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
  var picker = document.getElementById('open-process');
  var nameInput = document.getElementById('model-name');
  var result = document.getElementById('model-result');
  var base = '';
  var marked = [];
  var EMPTY = '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" ' +
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" ' +
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_new" targetNamespace="http://jixiao.example/bpmn">' +
    '<bpmn:process id="new_process" name="新流程" isExecutable="true"><bpmn:startEvent id="start" /></bpmn:process>' +
    '<bpmndi:BPMNDiagram id="BPMNDiagram_new"><bpmndi:BPMNPlane id="BPMNPlane_new" bpmnElement="new_process">' +
    '<bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="152" y="102" width="36" height="36" />' +
    '</bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>';

  fetch(host.getAttribute('data-camunda'), { credentials: 'same-origin' })
    .then(function (r) { return r.json(); })
    .then(start)
    .catch(function () { host.textContent = texts.failed; });

  // bpmn-js's `translate` service replaced: the Chinese text of designer-zh.js on Chinese pages, {placeholders}
  // filled in as bpmn-js's own does.
  var chinese = /^zh/.test(document.documentElement.lang) ? (window.JixiaoDesignerZh || {}) : {};
  function translate(template, replacements) {
    var text = Object.prototype.hasOwnProperty.call(chinese, template) ? chinese[template] : template;
    return text.replace(/{([^}]+)}/g, function (_, key) {
      return replacements && key in replacements ? replacements[key] : '{' + key + '}';
    });
  }
  var TranslateModule = { translate: ['value', translate] };

  function start(camunda) {
    var modules = [panel.BpmnPropertiesPanelModule, panel.BpmnPropertiesProviderModule,
                   panel.CamundaPlatformPropertiesProviderModule, TranslateModule];
    var options = {
      container: host,
      propertiesPanel: { parent: '#properties' },
      additionalModules: modules,
      moddleExtensions: { camunda: camunda }
    };
    if (window.JixiaoLint) {
      modules.push(window.JixiaoLint.module);
      options.linting = { bpmnlint: window.JixiaoLint.config, active: true };
    }
    var modeler = new window.BpmnJS(options);
    window.jixiaoModeler = modeler;
    if (window.JixiaoLint && /^zh/.test(document.documentElement.lang)) {
      // The advice names each bpmnlint rule by its (English) identifier after the translated message: on Chinese
      // pages the message alone is shown; English pages keep the identifier to look the rule up.
      modeler.on('linting.completed', function () {
        host.querySelectorAll('.bjsl-overlay .rule').forEach(function (e) { e.remove(); });
      });
    }

    function open(xml) {
      return modeler.importXML(xml).then(function () {
        modeler.get('canvas').zoom('fit-viewport');
        host.setAttribute('data-ready', '1');
      }).catch(function (err) {
        host.setAttribute('data-ready', 'error');
        result.innerHTML = '';
        var p = document.createElement('p');
        p.className = 'error';
        p.textContent = texts.failed + ' ' + (err && err.message ? err.message : '');
        result.appendChild(p);
      });
    }
    function load() {
      var option = picker.selectedOptions[0];
      if (!option || !option.value) { base = ''; return open(EMPTY); }
      base = option.getAttribute('data-version');
      nameInput.value = option.getAttribute('data-file');
      return fetch(option.value, { credentials: 'same-origin' }).then(function (r) { return r.text(); }).then(open);
    }
    function clearMarks() {
      var canvas = modeler.get('canvas');
      marked.forEach(function (id) { canvas.removeMarker(id, 'mark-invalid'); });
      marked = [];
    }
    function markErrors(errors) {
      var registry = modeler.get('elementRegistry');
      var canvas = modeler.get('canvas');
      clearMarks();
      errors.forEach(function (e) {
        if (e.element_id && registry.get(e.element_id)) {
          canvas.addMarker(e.element_id, 'mark-invalid');
          marked.push(e.element_id);
        }
      });
    }
    function select(id) {
      var element = modeler.get('elementRegistry').get(id);
      if (element) {
        modeler.get('selection').select(element);
        modeler.get('canvas').scrollToElement(element);
      }
    }
    function report(body) {
      result.innerHTML = '';
      var box = document.createElement('div');
      if (body.ok) {
        box.className = 'flash flash-ok';
        box.setAttribute('role', 'status');
        box.textContent = body.version ? texts.deployed.replace('{v}', body.version.slice(0, 12)) : texts.valid;
        clearMarks();
        if (body.version) { refresh(body.version); }
      } else {
        box.className = 'error-summary';
        box.setAttribute('role', 'alert');
        var head = document.createElement('p');
        head.textContent = texts.invalid.replace('{n}', body.errors.length);
        box.appendChild(head);
        var list = document.createElement('ul');
        body.errors.forEach(function (e) {
          var li = document.createElement('li');
          li.className = 'model-error';
          var where = (e.file || '') + (e.line ? ' · ' + texts.line.replace('{l}', e.line) : '');
          if (e.element_id) {
            var link = document.createElement('button');
            link.type = 'button';
            link.className = 'link';
            link.textContent = texts.element + ' ' + e.element_id;
            link.addEventListener('click', function () { select(e.element_id); });
            li.appendChild(document.createTextNode(where + ' · '));
            li.appendChild(link);
            li.appendChild(document.createTextNode(': ' + e.message));
          } else {
            li.textContent = where + ': ' + e.message;
          }
          list.appendChild(li);
        });
        box.appendChild(list);
        markErrors(body.errors);
      }
      result.appendChild(box);
    }
    // After a deployment the tables of processes and versions are read again and replaced, the modeler kept.
    function refresh(version) {
      return fetch(window.location.pathname + window.location.search, { credentials: 'same-origin' })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, 'text/html');
          ['processes', 'diff-form'].forEach(function (id) {
            var old = document.getElementById(id);
            var now = fresh.getElementById(id);
            if (old && now) { old.replaceWith(document.importNode(now, true)); }
          });
          var table = document.getElementById('versions');
          if (table) { table.setAttribute('data-latest', version); }
        });
    }
    function send(action) {
      return modeler.saveXML({ format: true }).then(function (saved) {
        return fetch(host.getAttribute('data-check'), {
          method: 'POST', credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf },
          body: JSON.stringify({ name: nameInput.value, xml: saved.xml, base: base, action: action })
        });
      }).then(function (r) { return r.json(); }).then(report);
    }

    picker.addEventListener('change', load);
    document.getElementById('model-validate').addEventListener('click', function () { send('validate'); });
    document.getElementById('model-deploy').addEventListener('click', function () { send('deploy'); });
    document.getElementById('model-download').addEventListener('click', function () {
      modeler.saveXML({ format: true }).then(function (saved) {
        var link = document.createElement('a');
        link.href = URL.createObjectURL(new Blob([saved.xml], { type: 'application/xml' }));
        link.download = nameInput.value || 'diagram.bpmn';
        link.click();
        URL.revokeObjectURL(link.href);
      });
    });

    var draft = document.getElementById('draft-xml');
    if (draft) {
      // An upload that failed validation opens here, its errors marked on the diagram.
      var errors = Array.prototype.map.call(document.querySelectorAll('#designer-errors .model-error'), function (li) {
        return { element_id: li.getAttribute('data-element') };
      });
      open(draft.value).then(function () { markErrors(errors); });
    } else {
      load();
    }
  }
}());
