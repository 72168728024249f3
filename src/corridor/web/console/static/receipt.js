// The receipt page's print button (no inline handlers: the CSP forbids them).
"use strict";
document.getElementById("print")?.addEventListener("click", () => window.print());
