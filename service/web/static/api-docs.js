/* Starts Swagger UI on /api/docs (service/api/docs.py) with the document named by its container. */
(function () {
  'use strict';
  var host = document.getElementById('swagger-ui-container');
  window.ui = window.SwaggerUIBundle({ url: host.getAttribute('data-spec-url'), dom_id: '#swagger-ui-container' });
}());
