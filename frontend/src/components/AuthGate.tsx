import type { ReactNode } from "react";
import { useMe, useSignOut } from "../api/auth";
import { SignInPage } from "../views/SignInPage";
import { ErrorState, Loading } from "./States";

/** The dashboard for a signed-in user, the sign-in form for anyone else. */
export function AuthGate({ children }: { children: ReactNode }) {
  const me = useMe();
  if (me.error)
    return (
      <main className="page-center">
        <ErrorState error={me.error} onRetry={() => void me.refetch()} />
      </main>
    );
  if (me.data === undefined)
    return (
      <main className="page-center">
        <Loading />
      </main>
    );
  if (me.data === null) return <SignInPage />;
  return <>{children}</>;
}

/** The signed-in user's name and a way out, for the top bar. */
export function AccountMenu() {
  const me = useMe();
  const signOut = useSignOut();
  if (!me.data) return null;
  return (
    <span className="account-menu">
      <span className="muted small" title={me.data.is_admin ? "Site administrator" : undefined}>
        {me.data.username}
      </span>
      <button type="button" className="btn btn-small" disabled={signOut.isPending} onClick={() => signOut.mutate()}>
        Sign out
      </button>
    </span>
  );
}
