// What "cut off" means, measured in the page (tests/e2e/test_every_page.py): the document wider
// than the window, a region that scrolls sideways, a visible control or cell past its card or the
// window, and (laptop) a table cell that is not a table cell.
(tableCells) => {
  const vw = document.documentElement.clientWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '') +
    ' "' + (el.innerText || el.value || '').trim().slice(0, 30) + '"';
  const problems = [];
  if (document.documentElement.scrollWidth > vw + 1) {
    problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${vw})`);
  }
  for (const el of document.querySelectorAll('.table-wrap, .card, main')) {
    if (el.scrollWidth > el.clientWidth + 1) problems.push(`${name(el)} scrolls sideways (${el.scrollWidth} > ${el.clientWidth})`);
  }
  const selector = 'main a, main button, main input, main select, main textarea, main td, main th, header a, header button, header select';
  for (const el of document.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || el.closest('dialog:not([open])')) continue;
    if (r.right > vw + 1 || r.left < -1) { problems.push(`${name(el)} is outside the window (${Math.round(r.left)}..${Math.round(r.right)} of ${vw})`); continue; }
    const card = el.closest('.card, .stat');
    if (card) {
      const c = card.getBoundingClientRect();
      if (r.right > c.right + 1) problems.push(`${name(el)} spills out of its card (${Math.round(r.right)} > ${Math.round(c.right)})`);
    }
  }
  // A cell styled as flex (or block) is no longer a table cell: the row's separator breaks under it.
  if (tableCells) {
    for (const el of document.querySelectorAll('main td')) {
      if (getComputedStyle(el).display !== 'table-cell') problems.push(`${name(el)} is not a table cell (the row line breaks)`);
    }
  }
  return [...new Set(problems)].slice(0, 8);
}
