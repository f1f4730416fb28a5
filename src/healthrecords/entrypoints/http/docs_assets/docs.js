// Starts Swagger UI on the page. A file of its own, not an inline script, so
// the page's Content-Security-Policy can allow scripts from this origin only.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
    // No validator badge: it would send the schema to an outside service.
    validatorUrl: null,
  });
});
