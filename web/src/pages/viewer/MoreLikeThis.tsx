// "More like this": other titles of the same main genre, newest first.
import { catalog } from "../../api";
import type { TitleDetail } from "../../api";
import { useAsync } from "../../components/async";
import { onRowsKeyDown } from "../../components/keys";
import { Row } from "../../components/Row";

export function MoreLikeThis({ profileId, title }: { profileId: string; title: TitleDetail }) {
  const genre = title.genres[0];
  const similar = useAsync(
    () => (genre ? catalog.titles(profileId, { genre: genre.slug, sort: "newest", limit: 21 }) : Promise.resolve(null)),
    [profileId, title.id],
  );
  const items = (similar.data?.items ?? []).filter((t) => t.id !== title.id).slice(0, 20);
  if (!genre || items.length === 0) return null;
  return (
    <div class="rows" data-nav-rows onKeyDown={onRowsKeyDown}>
      <Row id="more-like-this" title="More like this" reason={genre.name} items={items} />
    </div>
  );
}
