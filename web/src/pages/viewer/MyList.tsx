// Placeholder while the MyList page is built.
export default function MyList() {
  return <section class="page"><h1>MyList</h1></section>;
}
