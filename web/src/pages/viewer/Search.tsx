// Placeholder while the Search page is built.
export default function Search() {
  return <section class="page"><h1>Search</h1></section>;
}
