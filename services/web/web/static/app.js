// The console's own script: the RUT check as it is typed (módulo 11), the Conectar window,
// confirmations. Every screen also works without it; the server checks everything again.
"use strict";

function rutCheckDigit(digits) {
  let sum = 0, weight = 2;
  for (let i = digits.length - 1; i >= 0; i--) {
    sum += Number(digits[i]) * weight;
    weight = weight === 7 ? 2 : weight + 1;
  }
  const rest = 11 - (sum % 11);
  return rest === 11 ? "0" : rest === 10 ? "K" : String(rest);
}

function dottedRut(number, dv) {
  return number.replace(/\B(?=(\d{3})+(?!\d))/g, ".") + "-" + dv;
}

// {ok, message, formatted} for what the person has typed so far.
function checkRut(text) {
  const cleaned = text.replace(/[.\s]/g, "").toUpperCase();
  if (!cleaned) return {ok: false, message: ""};
  const match = /^(\d{1,8})-?([\dK])$/.exec(cleaned);
  if (!match || (!cleaned.includes("-") && cleaned.length < 2)) {
    return {ok: false, message: "Escribe el número, un guion y el dígito verificador (0-9 o K), p. ej. 12.345.678-5."};
  }
  const expected = rutCheckDigit(match[1]);
  if (match[2] !== expected) {
    return {ok: false, message: "El dígito verificador no corresponde: según el módulo 11 debería ser " + expected + "."};
  }
  const formatted = dottedRut(match[1], match[2]);
  return {ok: true, message: "RUT válido: " + formatted + ".", formatted: formatted};
}

function watchRut(input) {
  const out = document.getElementById(input.id + "-check");
  const show = () => {
    const result = checkRut(input.value);
    if (out) {
      out.textContent = result.message;
      out.className = "rut-check " + (result.ok ? "ok" : result.message ? "bad" : "");
    }
    if (result.message && !result.ok) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    return result;
  };
  input.addEventListener("input", show);
  input.addEventListener("blur", () => {
    const result = show();
    if (result.ok) input.value = result.formatted;
  });
  if (input.value) show();
}

function setUpDialogs(root) {
  root.querySelectorAll("[data-open-dialog]").forEach((opener) => {
    opener.addEventListener("click", (event) => {
      const dialog = document.getElementById(opener.dataset.openDialog);
      if (!dialog || !dialog.showModal) return;  // no <dialog>: follow the link
      event.preventDefault();
      dialog.showModal();
      const first = dialog.querySelector("input, select, button");
      if (first) first.focus();
    });
    opener.addEventListener("keydown", (event) => {
      if (event.key === " ") { event.preventDefault(); opener.click(); }
    });
  });
  root.querySelectorAll("dialog[data-show-modal]").forEach((dialog) => {
    if (!dialog.showModal) return;
    dialog.removeAttribute("open");
    dialog.showModal();
    const invalid = dialog.querySelector("[aria-invalid=true]") || dialog.querySelector("input");
    if (invalid) invalid.focus();
  });
  root.querySelectorAll("[data-close-dialog]").forEach((closer) => {
    closer.addEventListener("click", (event) => {
      const dialog = closer.closest("dialog");
      if (dialog && dialog.open && dialog.close) { event.preventDefault(); dialog.close(); }
    });
  });
}

function setUp(root) {
  root.querySelectorAll("input[data-rut]").forEach(watchRut);
  root.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  setUpDialogs(root);
}

document.addEventListener("DOMContentLoaded", () => setUp(document));
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.elt;
  if (target && target.querySelectorAll) setUp(target);
  const select = target && target.querySelector && target.querySelector(".detail-select");
  if (select) select.focus();  // keyboard users stay where they were
});
