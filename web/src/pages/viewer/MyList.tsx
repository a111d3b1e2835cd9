// My List: the titles this profile saved, newest first.
import { library } from "../../api";
import { useDocumentTitle } from "../../components/title";
import { useAsync } from "../../components/async";
import { TitleCard } from "../../components/Card";
import { onGridKeyDown } from "../../components/keys";
import { ErrorNote, Loading } from "../../components/Status";
import { profileStore, useStore } from "../../state";

export default function MyList() {
  const profile = useStore(profileStore)!;
  useDocumentTitle("My List");
  const list = useAsync(() => library.myList(profile.id), [profile.id]);
  return (
    <section class="page" aria-labelledby="mylist-heading">
      <h1 id="mylist-heading">My List</h1>
      {list.loading && !list.data && <Loading label="Loading My List" />}
      <ErrorNote message={list.error} />
      {list.data && list.data.items.length === 0 && (
        <p class="empty">
          Nothing saved yet. Use <strong>+ My List</strong> on any title to keep it here. <a href="/search">Find something to watch</a>.
        </p>
      )}
      {list.data && list.data.items.length > 0 && (
        <ul class="grid" data-nav-grid onKeyDown={onGridKeyDown} aria-labelledby="mylist-heading">
          {list.data.items.map(({ title }) => (
            <li>
              <TitleCard title={title} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
