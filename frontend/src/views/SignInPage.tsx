import { useState, type FormEvent } from "react";
import { errorMessage } from "../api/client";
import { useSignIn } from "../api/auth";

/** Shown instead of the dashboard to anyone not signed in. */
export function SignInPage() {
  const signIn = useSignIn();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate({ username: username.trim(), password });
  };
  return (
    <main className="page-center">
      <form className="card signin-card" onSubmit={submit} aria-label="Sign in">
        <h1>
          <span className="brand-mark" aria-hidden>
            ◎
          </span>{" "}
          Lensboard
        </h1>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {signIn.error ? (
          <p className="error" role="alert">
            {errorMessage(signIn.error)}
          </p>
        ) : null}
        <button type="submit" className="btn btn-primary" disabled={signIn.isPending}>
          Sign in
        </button>
        <p className="muted small">
          On this machine, open the one-time link that <code>make run</code> printed, or make one with{" "}
          <code>lensboard users link admin</code>.
        </p>
      </form>
    </main>
  );
}
