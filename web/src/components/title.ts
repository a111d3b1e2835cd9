// The browser tab's title follows the page, so history and screen readers name each page.
import { useEffect } from "preact/hooks";

export function useDocumentTitle(title: string | null | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} · Marquee` : "Marquee";
  }, [title]);
}
