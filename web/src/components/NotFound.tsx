// The page for a path that no route answers.
export function NotFoundPage() {
  return (
    <section class="page narrow">
      <h1>Page not found</h1>
      <p>
        There is nothing here. <a href="/">Go home</a>.
      </p>
    </section>
  );
}
