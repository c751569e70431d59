// Small helpers for the page's elements. Everything from a model or a person
// goes in as text (textContent, createTextNode), never as HTML.

export const $ = (id) => document.getElementById(id);

export function setText(id, text) { $(id).textContent = text; }
