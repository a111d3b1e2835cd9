// A horizontally scrolling row of title cards with a heading.
import type { CardTitle } from "./Card";
import { TitleCard } from "./Card";

interface RowProps {
  id: string;
  title: string;
  reason?: string;
  items: CardTitle[];
  ranked?: boolean;
}

export function Row({ id, title, reason, items, ranked }: RowProps) {
  const headingId = `row-${id}`;
  return (
    <section class="row" aria-labelledby={headingId} data-row={id}>
      <div class="row-head">
        <h2 id={headingId}>{title}</h2>
        {reason && <span class="row-reason">{reason}</span>}
      </div>
      <ul class="row-track" data-nav-row aria-labelledby={headingId}>
        {items.map((item, i) => (
          <li>
            <TitleCard title={item} rank={ranked ? i + 1 : undefined} />
          </li>
        ))}
      </ul>
    </section>
  );
}
