/* Diagrams: a bpmn-js viewer per .diagram element, the deployed file loaded from data-src, the elements and flows
   the server lists in data-marks marked, zoom buttons, a readable minimum zoom, and each call activity linked to its
   called process's diagram (the links the page lists under the diagram). */
(function () {
  'use strict';
  if (typeof window.BpmnJS !== 'function') { return; }
  var MIN_ZOOM = 0.75;  // below this the labels cannot be read: scroll and pan instead
  var MAX_ZOOM = 3;
  var PAD = 30;  // room around the drawing so no label at its edge is cut off

  function mark(viewer, marks) {
    var registry = viewer.get('elementRegistry');
    var canvas = viewer.get('canvas');
    Object.keys(marks).forEach(function (kind) {
      (marks[kind] || []).forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, 'mark-' + kind); }
      });
    });
  }

  function focusOf(viewer, marks) {
    var registry = viewer.get('elementRegistry');
    var ids = [].concat(marks.active || [], marks.overdue || [], marks.changed || []);
    for (var i = 0; i < ids.length; i += 1) {
      if (registry.get(ids[i])) { return registry.get(ids[i]); }
    }
    return null;
  }

  function within(value, low, high) {  // low wins when the drawing is smaller than the view
    return Math.max(low, Math.min(value, high));
  }

  function fit(viewer, marks) {
    var canvas = viewer.get('canvas');
    var box = canvas.viewbox();
    var inner = box.inner;
    var outer = box.outer;
    var scale = Math.min(1, outer.width / (inner.width + 2 * PAD), outer.height / (inner.height + 2 * PAD));
    scale = Math.max(scale, MIN_ZOOM);
    var width = outer.width / scale;
    var height = outer.height / scale;
    var x = inner.x - PAD;
    var y = inner.y - PAD;
    var focus = focusOf(viewer, marks);
    if (focus) {  // too large to show whole: keep the current step in view, near the middle
      x = within(focus.x + focus.width / 2 - width / 2, x, inner.x + inner.width + PAD - width);
      y = within(focus.y + focus.height / 2 - height / 2, y, inner.y + inner.height + PAD - height);
    }
    canvas.viewbox({ x: x, y: y, width: width, height: height });
  }

  function links(viewer, el) {
    var figure = el.closest('figure');
    var anchors = figure ? figure.querySelectorAll('a[data-call]') : [];
    var targets = {};
    Array.prototype.forEach.call(anchors, function (a) { targets[a.getAttribute('data-call')] = a.href; });
    var canvas = viewer.get('canvas');
    Object.keys(targets).forEach(function (id) {
      if (viewer.get('elementRegistry').get(id)) { canvas.addMarker(id, 'mark-link'); }
    });
    viewer.get('eventBus').on('element.click', function (event) {
      if (targets[event.element.id]) { window.location.assign(targets[event.element.id]); }
    });
  }

  function tools(viewer, el, marks) {
    var bar = el.previousElementSibling;
    if (!bar || !bar.classList.contains('diagram-tools')) { return; }
    var canvas = viewer.get('canvas');
    bar.addEventListener('click', function (event) {
      var kind = event.target.getAttribute('data-zoom');
      if (kind === 'fit') { fit(viewer, marks); return; }
      if (kind === 'in' || kind === 'out') {
        var zoom = canvas.zoom() * (kind === 'in' ? 1.25 : 0.8);
        canvas.zoom(Math.max(0.2, Math.min(MAX_ZOOM, zoom)), 'auto');
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('.diagram[data-src]'), function (el) {
    var viewer = new window.BpmnJS({ container: el });
    var marks = JSON.parse(el.getAttribute('data-marks') || '{}');
    fetch(el.getAttribute('data-src'), { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        mark(viewer, marks);
        fit(viewer, marks);
        links(viewer, el);
        tools(viewer, el, marks);
        el.setAttribute('data-ready', '1');
      })
      .catch(function () {
        el.textContent = el.getAttribute('data-failed');
        el.setAttribute('data-ready', 'error');
      });
  });
}());
