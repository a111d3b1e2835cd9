// Sign in with email and password.
import type { PageProps } from "../../router";
import { AuthForm } from "./AuthForm";

export default function SignIn({ query }: PageProps) {
  return <AuthForm mode="signin" query={query} />;
}
