// Arrow-key focus movement across cards, rows and grids (a TV remote's d-pad works the same way).

const FOCUSABLE = "a.card, button.card";

function cardsIn(container: Element): HTMLElement[] {
  return Array.from(container.querySelectorAll<HTMLElement>(FOCUSABLE));
}

function centreX(el: Element): number {
  const r = el.getBoundingClientRect();
  return r.left + r.width / 2;
}

function nearestByX(cards: HTMLElement[], x: number): HTMLElement | undefined {
  let best: HTMLElement | undefined;
  let bestDist = Infinity;
  for (const card of cards) {
    const dist = Math.abs(centreX(card) - x);
    if (dist < bestDist) [best, bestDist] = [card, dist];
  }
  return best;
}

function moveInLine(cards: HTMLElement[], index: number, step: number): HTMLElement | undefined {
  return cards[Math.max(0, Math.min(cards.length - 1, index + step))];
}

/** Left/right move within a row; up/down jump to the nearest card in the previous/next row. */
export function onRowsKeyDown(event: KeyboardEvent): void {
  const card = (event.target as Element | null)?.closest<HTMLElement>(FOCUSABLE);
  const row = card?.closest("[data-nav-row]");
  const scope = row?.closest("[data-nav-rows]");
  if (!card || !row || !scope) return;
  const rows = Array.from(scope.querySelectorAll("[data-nav-row]"));
  const inRow = cardsIn(row);
  const index = inRow.indexOf(card);
  let target: HTMLElement | undefined;
  if (event.key === "ArrowRight") target = moveInLine(inRow, index, 1);
  else if (event.key === "ArrowLeft") target = moveInLine(inRow, index, -1);
  else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    const r = rows.indexOf(row) + (event.key === "ArrowDown" ? 1 : -1);
    if (r >= 0 && r < rows.length) target = nearestByX(cardsIn(rows[r]), centreX(card));
    // Above the first row sits the page's main action (the featured title's Play button).
    else if (r < 0) target = document.querySelector<HTMLElement>("[data-nav-top]") ?? undefined;
  } else return;
  event.preventDefault();
  if (target && target !== card) {
    target.focus();
    target.scrollIntoView({ block: "nearest", inline: "nearest", behavior: "smooth" });
  }
}

/** In a wrapping grid every visual line is a row: move by geometry rather than by DOM order. */
export function onGridKeyDown(event: KeyboardEvent): void {
  const card = (event.target as Element | null)?.closest<HTMLElement>(FOCUSABLE);
  const grid = card?.closest("[data-nav-grid]");
  if (!card || !grid) return;
  const cards = cardsIn(grid);
  const index = cards.indexOf(card);
  let target: HTMLElement | undefined;
  if (event.key === "ArrowRight") target = moveInLine(cards, index, 1);
  else if (event.key === "ArrowLeft") target = moveInLine(cards, index, -1);
  else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    const top = card.getBoundingClientRect().top;
    const down = event.key === "ArrowDown";
    const others = cards.filter((c) => (down ? c.getBoundingClientRect().top > top + 4 : c.getBoundingClientRect().top < top - 4));
    const lineTop = down ? Math.min(...others.map((c) => c.getBoundingClientRect().top)) : Math.max(...others.map((c) => c.getBoundingClientRect().top));
    target = nearestByX(others.filter((c) => Math.abs(c.getBoundingClientRect().top - lineTop) < 4), centreX(card));
  } else return;
  event.preventDefault();
  if (target) {
    target.focus();
    target.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }
}

/** From the featured title's buttons, Down goes to the first card of the first row. */
export function onTopKeyDown(event: KeyboardEvent): void {
  if (event.key !== "ArrowDown") return;
  const first = document.querySelector<HTMLElement>("[data-nav-rows] [data-nav-row] a.card");
  if (!first) return;
  event.preventDefault();
  first.focus();
  first.scrollIntoView({ block: "nearest", behavior: "smooth" });
}
