/* Diagrams: a bpmn-js viewer per .diagram element, the deployed file loaded from data-src, elements marked. */
(function () {
  'use strict';
  if (typeof window.BpmnJS !== 'function') { return; }
  function mark(viewer, marks) {
    var registry = viewer.get('elementRegistry');
    var canvas = viewer.get('canvas');
    Object.keys(marks).forEach(function (kind) {
      (marks[kind] || []).forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, 'mark-' + kind); }
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('.diagram[data-src]'), function (el) {
    var viewer = new window.BpmnJS({ container: el });
    fetch(el.getAttribute('data-src'), { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        viewer.get('canvas').zoom('fit-viewport');
        mark(viewer, JSON.parse(el.getAttribute('data-marks') || '{}'));
        el.setAttribute('data-ready', '1');
      })
      .catch(function () {
        el.textContent = el.getAttribute('data-failed');
        el.setAttribute('data-ready', 'error');
      });
  });
}());
