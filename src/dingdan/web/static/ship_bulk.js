// Bulk shipping (批量發貨): a barcode scanner types the number and presses Enter;
// Enter moves to the next order's field instead of submitting, the last one to the button.
document.addEventListener("keydown", (event) => {
  const field = event.target;
  if (event.key !== "Enter" || !(field instanceof HTMLInputElement) || !field.matches("[data-scan]")) return;
  event.preventDefault();
  const fields = Array.from(document.querySelectorAll("input[data-scan]"));
  const next = fields[fields.indexOf(field) + 1];
  (next || document.querySelector("[data-testid=bulk-ship-submit]")).focus();
});
