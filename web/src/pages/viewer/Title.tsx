// Placeholder while the Title page is built.
export default function Title() {
  return <section class="page"><h1>Title</h1></section>;
}
