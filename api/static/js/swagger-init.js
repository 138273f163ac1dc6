// Swagger UI for /docs, from the npm install (no CDN), reading the app's own OpenAPI document.
const container = document.getElementById('swagger-ui');

function start() {
  window.SwaggerUIBundle({
    url: container.dataset.openapiUrl,
    domNode: container,
    deepLinking: true,
    // Requests from "Try it out" carry the session cookie; changes need the origin check to pass,
    // which same-origin fetches do.
    withCredentials: true,
  });
}

if (window.SwaggerUIBundle) {
  start();
} else {
  window.addEventListener('load', start);
}
