import type { ReactNode } from "react";
import { Link } from "react-router";
import { AccountMenu } from "./AuthGate";

/** Every page's header: the way home, the page's own items, and the account menu. */
export function TopBar({ children }: { children?: ReactNode }) {
  return (
    <header className="topbar">
      <Link to="/" className="brand">
        <span className="brand-mark" aria-hidden>
          ◎
        </span>{" "}
        Lensboard
      </Link>
      <div className="topbar-rest">{children}</div>
      <AccountMenu />
    </header>
  );
}
