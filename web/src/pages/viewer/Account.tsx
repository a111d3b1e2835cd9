// Placeholder while the Account page is built.
export default function Account() {
  return <section class="page"><h1>Account</h1></section>;
}
