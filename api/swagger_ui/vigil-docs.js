// Swagger UI on Vigil's own OpenAPI document; no request leaves the server (no validator badge).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "api/v1/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
  });
});
