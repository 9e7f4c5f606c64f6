// Starts Swagger UI or ReDoc on the API docs pages; a file of its own so the pages can
// forbid inline scripts. Everything is loaded from this app: no validator badge, no CDN.
(function () {
  "use strict";
  var swagger = document.getElementById("swagger-ui");
  if (swagger && window.SwaggerUIBundle) {
    window.ui = window.SwaggerUIBundle({
      url: swagger.getAttribute("data-spec-url"),
      domNode: swagger,
      validatorUrl: null,
      deepLinking: true,
      persistAuthorization: false
    });
  }
  var redoc = document.getElementById("redoc");
  if (redoc && window.Redoc) {
    window.Redoc.init(redoc.getAttribute("data-spec-url"), { hideDownloadButton: false }, redoc);
  }
})();
